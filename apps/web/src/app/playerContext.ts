import { createContext, useContext } from 'react';
import type { Player } from '../store/player.ts';

/** The page's one Player (the animation clock), for the transport controls. */
export const PlayerContext = createContext<Player | null>(null);

export function usePlayer(): Player | null {
  return useContext(PlayerContext);
}
