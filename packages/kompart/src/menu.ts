import { type SharedFile } from '@kompart/protocol';
import { render } from '@kompart/core';
import { cliTexts } from './texts.js';
import type { Command } from './commands.js';
import { formatBytes } from './format.js';
import type { FrontEndEnd } from './script-input.js';
import { loadPathPrompt } from './path-prompt.js';
import type { TerminalFrontEndOptions } from './typed-prompt.js';

/** What the menu needs: the same as every terminal front end, and the folder paths complete against. */
export interface MenuOptions extends TerminalFrontEndOptions {
  readonly cwd: string;
}

type Action = 'register-peer' | 'register-file' | 'unregister-file' | 'list-files' | 'get-file' | 'disconnect' | 'prompt' | 'help' | 'exit';

const ACTIONS: readonly { readonly value: Action; readonly text: keyof typeof cliTexts }[] = [
  { value: 'register-peer', text: 'menuRegisterPeer' },
  { value: 'register-file', text: 'menuRegisterFile' },
  { value: 'unregister-file', text: 'menuUnregisterFile' },
  { value: 'list-files', text: 'menuListFiles' },
  { value: 'get-file', text: 'menuGetFile' },
  { value: 'disconnect', text: 'menuDisconnect' },
  { value: 'prompt', text: 'menuPrompt' },
  { value: 'help', text: 'menuHelp' },
  { value: 'exit', text: 'menuExit' },
];

/** A question for inquirer (the subset this menu uses). */
interface SelectQuestion {
  type: 'select';
  name: 'answer';
  message: string;
  choices: { name: string; value: string }[];
  default?: string;
  pageSize?: number;
  loop?: boolean;
  theme?: { indexMode?: 'number' | 'hidden'; style?: { keysHelpTip?: () => string } };
}

/** What an inquirer prompt is started with. */
interface PromptContext {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  signal: AbortSignal;
  clearPromptOnDone: boolean;
}

/** Inquirer's prompt function, loaded on first use (inquirer ships only as an ES module). */
type PromptModule = (questions: SelectQuestion[]) => Promise<{ answer: string }>;
type CreatePromptModule = (options: PromptContext) => PromptModule;

let loaded: Promise<CreatePromptModule> | undefined;
function loadInquirer(): Promise<CreatePromptModule> {
  loaded ??= import('inquirer').then((module) => module.default.createPromptModule as unknown as CreatePromptModule);
  return loaded;
}

/** Why a question was put away before its answer: drawn again (output, `fg`) or the session stopping. */
const REDRAW = Symbol('redraw');

/** How a question ended: an answer, Ctrl-C, or the session stopping. */
type Asked<T> = { readonly kind: 'answer'; readonly value: T } | { readonly kind: 'interrupt' } | { readonly kind: 'stopped' };

/**
 * The inquirer menu: the same actions as the typed prompt, a path typed for `register
 * file` (Tab completes it; Esc, an empty answer or Ctrl-C go back), the file to take off
 * the index picked from this peer's own shares for `unregister file`, the remote file
 * picked from a fresh `list files` for `get file`, and an entry that switches to the typed
 * prompt.
 * Asynchronous lines that arrive while the main menu is shown are printed and the menu is
 * drawn again; while a text is being typed they wait until it is entered, so nothing typed
 * is lost.
 *
 * Keys follow the typed prompt's: Ctrl-C on the main menu says how to leave and a second
 * one in a row leaves; Ctrl-C during a command cancels it; after Ctrl-Z and `fg` the
 * question on screen is drawn again as it was (inquirer's readline pauses its input when
 * the process continues, and nothing would resume it).
 */
export async function runMenu(options: MenuOptions): Promise<FrontEndEnd> {
  const { shell, lang, stop } = options;
  const [createPromptModule, pathPrompt] = await Promise.all([loadInquirer(), loadPathPrompt()]);
  const t = (key: keyof typeof cliTexts): string => render(cliTexts[key], lang);
  let last: Action = 'register-peer';
  /** The question on screen, put away to be drawn again after `fg`. */
  let current: AbortController | undefined;
  const onContinue = (): void => current?.abort(REDRAW);
  process.on('SIGCONT', onContinue);

  /** Asks one question until it is answered, interrupted or the session stops. */
  async function ask<T>(run: (context: PromptContext) => Promise<T>, redrawOnOutput: boolean): Promise<Asked<T>> {
    for (;;) {
      if (stop.aborted) return { kind: 'stopped' };
      const controller = new AbortController();
      current = controller;
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
        return { kind: 'answer', value: await run({ input: options.input, output: options.terminal, signal: controller.signal, clearPromptOnDone: true }) };
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        if (name === 'AbortPromptError' && controller.signal.reason === REDRAW && !stop.aborted) continue;
        if (name === 'ExitPromptError' && !stop.aborted) return { kind: 'interrupt' };
        if (name === 'AbortPromptError' || name === 'ExitPromptError' || stop.aborted) return { kind: 'stopped' };
        throw error;
      } finally {
        current = undefined;
        pop();
        stop.removeEventListener('abort', onStop);
        for (const line of held) options.output.writeLine(line);
      }
    }
  }

  const select = (question: Omit<SelectQuestion, 'type' | 'name'>, redrawOnOutput: boolean): Promise<Asked<string>> =>
    ask(async (context) => (await createPromptModule(context)([{ type: 'select', name: 'answer', ...question }])).answer, redrawOnOutput);

  /** Runs a command in the foreground: Ctrl-C (a real SIGINT now: no prompt reads the keys) cancels it. */
  const run = (action: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> => options.foreground.run(action);

  try {
    /** The last answer to the main menu was a Ctrl-C: another one leaves. */
    let warned = false;
    for (;;) {
      const choice = await select(
        {
          message: t('menuQuestion'),
          choices: ACTIONS.map((action) => ({ name: t(action.text), value: action.value })),
          default: last,
          pageSize: ACTIONS.length,
          loop: false,
          theme: { indexMode: 'number', style: { keysHelpTip: () => t('menuKeys') } },
        },
        true,
      );
      if (choice.kind === 'stopped') return 'stopped';
      if (choice.kind === 'interrupt') {
        if (warned) return 'exit';
        warned = true;
        options.output.print('info', t('menuLeaveHint'), { event: 'interrupt' });
        continue;
      }
      warned = false;
      last = choice.value as Action;
      let command: Command | undefined;
      switch (last) {
        case 'exit':
          return 'exit';
        case 'prompt':
          return 'prompt';
        case 'register-file': {
          const path = await askPath();
          if (path === null) return 'stopped';
          if (path === undefined) continue;
          const outcome = await run((signal) => shell.executeLine(`register file ${path}`, signal));
          if (stop.aborted) return 'stopped';
          if (outcome === 'exit') return 'exit';
          continue;
        }
        case 'unregister-file': {
          const path = await pickOwnFile();
          if (path === null) return 'stopped';
          if (path !== undefined) command = { name: 'unregister-file', path };
          break;
        }
        case 'get-file': {
          const ref = await pickRemoteFile();
          if (ref === null) return 'stopped';
          if (ref !== undefined) command = { name: 'get-file', refs: [ref] };
          break;
        }
        default:
          command = { name: last };
      }
      if (command !== undefined) {
        const chosen = command;
        await run((signal) => shell.execute(chosen, signal));
      }
      if (stop.aborted) return 'stopped';
    }
  } finally {
    process.off('SIGCONT', onContinue);
  }

  /** The path to register; undefined for "back" (Esc, empty, Ctrl-C), null when stopping. */
  async function askPath(): Promise<string | undefined | null> {
    let typed = '';
    const answer = await ask(
      (context) =>
        pathPrompt(
          {
            message: t('menuPathQuestion'),
            keys: t('menuPathKeys'),
            cwd: options.cwd,
            initial: typed,
            onChange: (text) => (typed = text),
          },
          context,
        ),
      false,
    );
    if (answer.kind === 'stopped') return null;
    return answer.kind === 'answer' ? answer.value : undefined;
  }

  /** One of this peer's registered files; undefined for "back" (also Ctrl-C, or nothing shared), null when stopping. */
  async function pickOwnFile(): Promise<string | undefined | null> {
    const files = [...shell.peer.sharedFiles()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (files.length === 0) {
      options.output.print('result', t('menuNoOwnFiles'), { command: 'unregister file', files: 0 });
      return undefined;
    }
    const choices = files.map((file) => ({ name: `${file.path} (${formatBytes(file.size, lang)})`, value: file.path }));
    choices.push({ name: t('menuBack'), value: '' });
    const answer = await select(
      {
        message: t('menuPickOwnFile'),
        choices,
        pageSize: 15,
        loop: false,
        theme: { style: { keysHelpTip: () => t('menuKeys') } },
      },
      false,
    );
    if (answer.kind === 'stopped') return null;
    return answer.kind === 'answer' && answer.value !== '' ? answer.value : undefined;
  }

  /** A fresh `list files`, then a choice among them; undefined for "back" (also Ctrl-C), null when stopping. */
  async function pickRemoteFile(): Promise<string | undefined | null> {
    const files = await shell.remoteFiles();
    if (stop.aborted) return null;
    if (files === undefined || files.length === 0) return undefined;
    const choices = files.map((file: SharedFile) => ({
      name: `${file.peer} / ${file.name} / ${file.sha256.slice(0, 12)} (${formatBytes(file.size, lang)})`,
      value: `${file.peer}/${file.sha256}`,
    }));
    choices.push({ name: t('menuBack'), value: '' });
    const answer = await select(
      {
        message: t('menuPickFile'),
        choices,
        pageSize: 15,
        loop: false,
        theme: { style: { keysHelpTip: () => t('menuKeys') } },
      },
      false,
    );
    if (answer.kind === 'stopped') return null;
    return answer.kind === 'answer' && answer.value !== '' ? answer.value : undefined;
  }
}
