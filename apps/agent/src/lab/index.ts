/** The lab network (README.md): two hosts, a link with delay, loss and rate, every drop an event. */
export { Lab, LabError, removeStaleLabs, type LabHost, type LabOptions, type OneShot } from './lab.ts';
export { applyConditions, ConditionError, CONDITION_LIMITS, NO_CONDITIONS, type LinkConditions } from './conditions.ts';
export { LAB_ADDRESSES, LAB_IFACES, LAB_MTU, labNames, parseLabName, type HostName, type LabNames } from './names.ts';
export { labStatus, type LabStatus } from './status.ts';
export type { ForwarderStats } from './forwarder.ts';
export { attachLab, onLabText, type LabbedAgent } from './attach.ts';
export { AgentLab, LAB_OPS, lessonConditions, type LabAttachment, type LabCommand, type LabState } from './agent-lab.ts';
