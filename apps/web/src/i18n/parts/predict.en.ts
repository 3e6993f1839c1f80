/**
 * Strings of "Ask first" (views/predict): the teacher's question to the class, the students' answers and
 * the reveal. The questions and their choices are course material and live with the lessons
 * (packages/shared/src/lessons/questions*.ts). Same keys and {placeholders} in predict.zh-CN.ts and
 * predict.zh-TW.ts.
 */
export const predictEn: Record<string, string> = {
  'predict.askFirst': 'Ask first',
  'predict.askFirstHint': 'Before a step that has a question, → puts the question to the class; the next → shows what really happens.',
  'predict.upcoming': '→ asks: {question}',
  'predict.title': 'Question for the class',
  'predict.beforeStep': 'before step {n} · {step}',
  'predict.reveal': 'Show what happens',
  'predict.revealHint': '→ runs the step and shows the real packets',
  'predict.answered': '{n} of {total} answered',
  'predict.answeredSome': '{n} answered',
  'predict.notShared': 'Only this screen shows the question. Start the agent with --share and students answer on their own devices.',
  'predict.sharing': 'Students answer on their devices (the shared link).',
  'predict.reading': 'Reading the run…',
  'predict.seen': 'The run: {seen}',
  'predict.noneMatched': 'The run did none of these: {seen}',
  'predict.right': 'what the run did',
  'predict.close': 'Close',
  'predict.closeHint': 'Put the question away (students’ pages too)',
  'predict.askFailed': 'The class could not be asked: {detail}',
  'predict.student.title': 'Your teacher asks',
  'predict.student.pick': 'Tap your answer — you cannot change it afterwards.',
  'predict.student.mine': 'Your answer: {choice}',
  'predict.student.wait': 'Wait for your teacher to show what happens.',
  'predict.student.closed': 'Answers are closed.',
  'predict.student.right': 'You were right.',
  'predict.student.wrong': 'Not this time: look at what the run did.',
  'predict.student.notAnswered': 'You did not answer this one.',
  'predict.student.elsewhere': 'The question is about another lesson:',
  'predict.student.open': 'Open it',
  'predict.err.E_ANSWERED': 'You already answered this question.',
  'predict.err.E_NO_QUESTION': 'This question is closed.',
  'predict.err.E_LIMIT': 'Too many answers at once: wait a moment and try again.',
  'predict.err.other': 'Your answer did not arrive ({code}). Try again.',
};
