import { type SharedFile } from '@kompart/protocol';
import { render } from '@kompart/core';
import { cliTexts } from './texts.js';
import type { Command } from './commands.js';
import { formatBytes } from './format.js';
import type { FrontEndEnd } from './script-input.js';
import type { TerminalFrontEndOptions } from './typed-prompt.js';

/** What the menu needs: the same as every terminal front end. */
export type MenuOptions = TerminalFrontEndOptions;

type Action = 'register-peer' | 'register-file' | 'list-files' | 'get-file' | 'disconnect' | 'prompt' | 'help' | 'exit';

const ACTIONS: readonly { readonly value: Action; readonly text: keyof typeof cliTexts }[] = [
  { value: 'register-peer', text: 'menuRegisterPeer' },
  { value: 'register-file', text: 'menuRegisterFile' },
  { value: 'list-files', text: 'menuListFiles' },
  { value: 'get-file', text: 'menuGetFile' },
  { value: 'disconnect', text: 'menuDisconnect' },
  { value: 'prompt', text: 'menuPrompt' },
  { value: 'help', text: 'menuHelp' },
  { value: 'exit', text: 'menuExit' },
];

/** A question for inquirer (the subset this menu uses). */
type Question =
  | {
      type: 'select';
      name: 'answer';
      message: string;
      choices: { name: string; value: string }[];
      default?: string;
      pageSize?: number;
      loop?: boolean;
      theme?: { indexMode?: 'number' | 'hidden'; style?: { keysHelpTip?: () => string } };
    }
  | { type: 'input'; name: 'answer'; message: string; validate: (value: string) => true | string };

/** Inquirer's prompt function, loaded on first use (inquirer ships only as an ES module). */
type PromptModule = (questions: Question[]) => Promise<{ answer: string }>;
type CreatePromptModule = (options: { input: NodeJS.ReadStream; output: NodeJS.WriteStream; signal: AbortSignal; clearPromptOnDone: boolean }) => PromptModule;

let loaded: Promise<CreatePromptModule> | undefined;
function loadInquirer(): Promise<CreatePromptModule> {
  loaded ??= import('inquirer').then((module) => module.default.createPromptModule as unknown as CreatePromptModule);
  return loaded;
}

const REDRAW = Symbol('redraw');

/**
 * The inquirer menu: the same actions as the typed prompt, a path typed for `register
 * file`, the remote file picked from a fresh `list files` for `get file`, and an entry
 * that switches to the typed prompt. Asynchronous lines that arrive while the main menu
 * is shown are printed and the menu is drawn again; while a text is being typed they
 * wait until it is entered, so nothing typed is lost.
 */
export async function runMenu(options: MenuOptions): Promise<FrontEndEnd> {
  const { shell, lang, stop } = options;
  const createPromptModule = await loadInquirer();
  const t = (key: keyof typeof cliTexts): string => render(cliTexts[key], lang);
  let last: Action = 'register-peer';

  /** Asks one question; undefined when the user interrupted or the session is stopping. */
  async function ask(question: Question, redrawOnOutput: boolean): Promise<string | undefined> {
    for (;;) {
      if (stop.aborted) return undefined;
      const controller = new AbortController();
      const held: string[] = [];
      const pop = options.output.push({
        write(line) {
          held.push(line);
          if (redrawOnOutput) controller.abort(REDRAW);
        },
      });
      const onStop = (): void => controller.abort(stop.reason);
      stop.addEventListener('abort', onStop, { once: true });
      try {
        const prompt = createPromptModule({ input: options.input, output: options.terminal, signal: controller.signal, clearPromptOnDone: true });
        const { answer } = await prompt([question]);
        return answer;
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        if (name === 'AbortPromptError' && controller.signal.reason === REDRAW && !stop.aborted) continue;
        if (name === 'ExitPromptError') {
          options.onInterrupt();
          return undefined;
        }
        if (name === 'AbortPromptError' || stop.aborted) return undefined;
        throw error;
      } finally {
        pop();
        stop.removeEventListener('abort', onStop);
        for (const line of held) options.output.writeLine(line);
      }
    }
  }

  for (;;) {
    const choice = await ask(
      {
        type: 'select',
        name: 'answer',
        message: t('menuQuestion'),
        choices: ACTIONS.map((action) => ({ name: t(action.text), value: action.value })),
        default: last,
        pageSize: ACTIONS.length,
        loop: false,
        theme: { indexMode: 'number', style: { keysHelpTip: () => t('menuKeys') } },
      },
      true,
    );
    if (choice === undefined) return 'stopped';
    last = choice as Action;
    let command: Command | undefined;
    switch (last) {
      case 'exit':
        return 'exit';
      case 'prompt':
        return 'prompt';
      case 'register-file': {
        const path = await ask(
          { type: 'input', name: 'answer', message: t('menuPathQuestion'), validate: (value) => (value.trim() === '' ? t('menuPathRequired') : true) },
          false,
        );
        if (path === undefined) return 'stopped';
        const outcome = await shell.executeLine(`register file ${path.trim()}`, stop);
        if (stop.aborted) return 'stopped';
        if (outcome === 'exit') return 'exit';
        continue;
      }
      case 'get-file': {
        const ref = await pickRemoteFile();
        if (ref === null) return 'stopped';
        if (ref !== undefined) command = { name: 'get-file', ref };
        break;
      }
      default:
        command = { name: last };
    }
    if (command !== undefined) await shell.execute(command, stop);
    if (stop.aborted) return 'stopped';
  }

  /** A fresh `list files`, then a choice among them; undefined for "back", null when stopping. */
  async function pickRemoteFile(): Promise<string | undefined | null> {
    const files = await shell.remoteFiles();
    if (stop.aborted) return null;
    if (files === undefined || files.length === 0) return undefined;
    const choices = files.map((file: SharedFile) => ({
      name: `${file.peer} / ${file.name} / ${file.sha256.slice(0, 12)} (${formatBytes(file.size)})`,
      value: `${file.peer}/${file.sha256}`,
    }));
    choices.push({ name: t('menuBack'), value: '' });
    const answer = await ask(
      {
        type: 'select',
        name: 'answer',
        message: t('menuPickFile'),
        choices,
        pageSize: 15,
        loop: false,
        theme: { style: { keysHelpTip: () => t('menuKeys') } },
      },
      false,
    );
    if (answer === undefined) return null;
    return answer === '' ? undefined : answer;
  }
}
