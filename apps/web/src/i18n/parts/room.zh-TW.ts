import type { roomEn } from './room.en.ts';

/** 教室裡的按鍵和版面（app/keys.ts、views/RoomSide.tsx）的文字，繁體中文。鍵與 room.en.ts 相同。 */
export const roomZhTW: Record<keyof typeof roomEn, string> = {
  'room.blank': '已黑屏。按任意鍵恢復顯示。',
  'room.views': '時序圖旁邊的視圖',
  'room.close': '關閉',
};
