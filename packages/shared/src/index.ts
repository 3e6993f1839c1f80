export * from './protocol/primitives.ts';
export * from './protocol/events.ts';
export * from './protocol/commands.ts';
export * from './protocol/messages.ts';
export * from './protocol/endpoint.ts';
export * from './protocol/errors.ts';
export * from './model/model.ts';
export * from './model/fold.ts';
