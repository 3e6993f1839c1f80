import type { roomEn } from './room.en.ts';

/** 教室里的按键和布局（app/keys.ts、views/RoomSide.tsx）的文字，简体中文。键与 room.en.ts 相同。 */
export const roomZhCN: Record<keyof typeof roomEn, string> = {
  'room.blank': '已黑屏。按任意键恢复显示。',
  'room.views': '时序图旁边的视图',
  'room.close': '关闭',
};
