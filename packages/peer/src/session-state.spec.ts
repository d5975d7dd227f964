import { SessionStateMachine } from './session-state.js';

describe('SessionStateMachine', () => {
  it('goes through a whole life: register, lose, recover, disconnect, close', () => {
    const machine = new SessionStateMachine();
    for (const next of ['registering', 'online', 'reconnecting', 'online', 'idle', 'closed'] as const) machine.move(next);
    expect(machine.state).toBe('closed');
  });

  it('refuses moves the table does not have', () => {
    const machine = new SessionStateMachine();
    expect(() => machine.move('online')).toThrow('no move from idle to online');
    machine.move('closed');
    expect(() => machine.move('idle')).toThrow('no move from closed to idle');
  });
});
