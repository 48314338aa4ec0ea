import { describe, expect, it } from 'vitest';
import { Listeners } from '../../protocol/listeners.js';

describe('Listeners', () => {
  it('calls what is subscribed until it is unsubscribed, each once however often it is added', () => {
    const heard: string[] = [];
    const listeners = new Listeners<number>();
    const a = (n: number) => heard.push(`a${n}`);
    const offA = listeners.subscribe(a);
    listeners.subscribe(a);
    const offB = listeners.subscribe((n) => heard.push(`b${n}`));
    for (const l of listeners) l(1);
    offA();
    for (const l of listeners) l(2);
    offB();
    for (const l of listeners) l(3);
    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(listeners.size).toBe(0);
  });
});
