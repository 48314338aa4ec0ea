import { describe, expect, it } from 'vitest';
import { resolveInputs } from '../../../cli/provision-commands.js';
import { ProvisionError } from '../../../provisioning/provision.js';

function asker(answers: string[]) {
  const asked: string[] = [];
  return {
    asked,
    ask: async (q: string) => {
      asked.push(q);
      return answers.shift() ?? '';
    },
  };
}

describe('provision inputs', () => {
  it('asks for what is missing, then confirms, in the chosen language', async () => {
    const a = asker(['https://signage.example.gov.vn ', 'tok-1', 'c']);
    expect(await resolveInputs({}, 'vi', a.ask)).toEqual({
      server: 'https://signage.example.gov.vn',
      token: 'tok-1',
    });
    expect(a.asked).toEqual([
      'Địa chỉ máy chủ (https://…): ',
      'Mã đăng ký dùng một lần: ',
      'Đăng ký máy này với https://signage.example.gov.vn và cài gatecast? [y/N] ',
    ]);
  });

  it('stops without a yes, and a dry run does not ask to confirm', async () => {
    await expect(resolveInputs({ server: 'https://s', token: 't' }, 'en', asker(['n']).ask)).rejects.toThrow(
      'Stopped; nothing was changed.',
    );
    const a = asker([]);
    await resolveInputs({ server: 'https://s', token: 't', dryRun: true }, 'en', a.ask);
    expect(a.asked).toEqual([]);
  });

  it('without a terminal, names the missing flags', async () => {
    const err = await resolveInputs({ server: 'https://s' }, 'en', undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as Error).message).toBe('Missing --token: pass --token (there is no terminal to ask on).');
  });
});
