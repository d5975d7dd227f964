import { commonPrefix, pathCandidates } from './completion.js';

/** What the menu asks a path with. */
export interface PathQuestion {
  readonly message: string;
  /** The key hint shown under the line (Tab completes, Esc goes back). */
  readonly keys: string;
  /** Folder relative paths complete against. */
  readonly cwd: string;
  /** Text already typed (the question asked again after Ctrl-Z and `fg`). */
  readonly initial?: string;
  /** Told of every change of the text, so that it can be given back as `initial`. */
  readonly onChange?: (text: string) => void;
}

/** The answer: the path typed, or undefined for "back to the menu" (Esc, or an empty line). */
export type PathPrompt = (
  question: PathQuestion,
  context: { input: NodeJS.ReadStream; output: NodeJS.WriteStream; signal: AbortSignal; clearPromptOnDone: boolean },
) => Promise<string | undefined>;

/** Candidates listed under the line after a Tab that matches several. */
const SHOWN_CANDIDATES = 8;

let loaded: Promise<PathPrompt> | undefined;

/**
 * The menu's path question, an inquirer prompt of our own (@inquirer/core ships only as an
 * ES module, so it is loaded on first use): a line edited as readline does, Tab completing
 * paths as the typed prompt does (a unique match completes, several extend to what they
 * share and are listed under the line), Esc or an empty answer going back to the menu.
 * Ctrl-C ends the prompt with inquirer's ExitPromptError, which the menu also takes as "back".
 */
export function loadPathPrompt(): Promise<PathPrompt> {
  loaded ??= import('@inquirer/core').then(({ createPrompt, useState, useKeypress, useEffect, usePrefix, makeTheme, isEnterKey, isTabKey }) =>
    createPrompt<string | undefined, PathQuestion>((question, done) => {
      const theme = makeTheme();
      const [status, setStatus] = useState<'idle' | 'done'>('idle');
      const [value, setValue] = useState(question.initial ?? '');
      const [shown, setShown] = useState<readonly string[]>([]);
      const prefix = usePrefix({ status, theme });
      const change = (text: string): void => {
        setValue(text);
        question.onChange?.(text);
      };
      useEffect((rl) => {
        if (question.initial !== undefined && question.initial !== '') rl.write(question.initial);
      }, []);
      useKeypress((key, rl) => {
        if (status !== 'idle') return;
        if (isEnterKey(key)) {
          const answer = value.trim();
          setStatus('done');
          done(answer === '' ? undefined : answer);
        } else if (key.name === 'escape') {
          setStatus('done');
          done(undefined);
        } else if (isTabKey(key)) {
          // readline, which has no completer here, inserted the tab: take it out again.
          const typed = rl.line.replace(/\t/g, '');
          const candidates = pathCandidates(typed, { cwd: question.cwd });
          const completed = candidates.length === 0 ? typed : commonPrefix(candidates);
          rl.clearLine(0);
          rl.write(completed.length > typed.length ? completed : typed);
          change(rl.line);
          setShown(candidates.length > 1 ? candidates : []);
        } else {
          change(rl.line);
          setShown([]);
        }
      });
      const message = theme.style.message(question.message, status);
      if (status === 'done') return `${prefix} ${message} ${theme.style.answer(value)}`;
      const more = shown.length > SHOWN_CANDIDATES ? [`… +${shown.length - SHOWN_CANDIDATES}`] : [];
      const listed = shown.slice(0, SHOWN_CANDIDATES).map((candidate) => `  ${candidate}`);
      return [`${prefix} ${message} ${value}`, [...listed, ...more, theme.style.help(question.keys)].join('\n')];
    }),
  );
  return loaded;
}
