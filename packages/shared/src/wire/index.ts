export { TcpTracker } from './tracker.ts';
export type { TcpAnalysis, TrackedSegment, TrackerOptions } from './tracker.ts';
export { toWireEvents, WIRE_PREVIEW_BYTES } from './to-events.ts';
export type { TcpSegmentInput, UdpDatagramInput, WireEventInput, WireEventOptions } from './to-events.ts';
export { importCapture, importRecords } from './import.ts';
export type { ImportOptions, ImportResult } from './import.ts';
export { bytesToBase64, base64ToBytes } from './base64.ts';
export { exportPcap } from './export.ts';
export type { ExportOptions, ExportResult } from './export.ts';
