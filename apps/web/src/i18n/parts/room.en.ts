/**
 * Strings of the room's keys and layouts (app/keys.ts, views/RoomSide.tsx), English. Spread into the
 * page's messages (en.ts); room.zh-CN.ts and room.zh-TW.ts must have exactly these keys.
 */
export const roomEn = {
  'room.blank': 'Screen blanked. Press any key to show it again.',
  'room.views': 'Views beside the diagram',
  'room.close': 'Close',
};
