/** The lab's pure parts: conditions and their bounds, the build plan, names, the status decision, the CLI flags. */
import { describe, expect, it } from 'vitest';
import { applyConditions, ConditionError, NO_CONDITIONS, tokenBucket } from './conditions.ts';
import { labFromFlags, LabFlagError, labUnavailable, takeLabFlags } from './flags.ts';
import { labNames, parseLabName } from './names.ts';
import { buildPlan, inNamespace, ratePlan } from './plan.ts';
import { decideLab, type LabFacts } from './status.ts';

describe('link conditions', () => {
  it('apply a change over the current set and keep the rest', () => {
    const a = applyConditions(NO_CONDITIONS, { delayMs: 100, lossPct: 2 });
    expect(applyConditions(a, { rateKbit: 800 })).toEqual({ delayMs: 100, jitterMs: 0, lossPct: 2, rateKbit: 800 });
  });

  it.each([
    [{ delayMs: -1 }, /delay/], [{ delayMs: 10_001 }, /delay/], [{ delayMs: Number.NaN }, /delay/],
    [{ delayMs: 10, jitterMs: 11 }, /jitter/], [{ lossPct: 101 }, /loss/], [{ lossPct: -0.5 }, /loss/],
    [{ rateKbit: 7 }, /rate/], [{ rateKbit: 100.5 }, /rate/],
  ])('refuse %j', (change, why) => {
    expect(() => applyConditions(NO_CONDITIONS, change)).toThrow(ConditionError);
    expect(() => applyConditions(NO_CONDITIONS, change)).toThrow(why);
  });

  it('size the token bucket to hold at least full frames', () => {
    expect(tokenBucket(64)).toEqual({ burstBytes: 3028, limitBytes: 4542 });
    expect(tokenBucket(100_000)).toEqual({ burstBytes: 125_000, limitBytes: 1_250_000 });
  });
});

describe('lab names', () => {
  it('carry the agent pid and the role, and only ours parse', () => {
    expect(labNames(42)).toEqual({ client: 'ss-42-client', server: 'ss-42-server', link: 'ss-42-link' });
    expect(parseLabName('ss-42-link')).toEqual({ pid: 42, role: 'link' });
    for (const n of ['ss-42-router', 'ss--client', 'xss-42-client', 'ss-42-client-2', 'netns1']) expect(parseLabName(n)).toBeNull();
  });
});

describe('the build plan', () => {
  const n = labNames(7);
  const plan = buildPlan(n);

  it('never makes a link in the machine\'s own namespace (L1): every link and address command names a lab namespace', () => {
    for (const argv of plan) {
      if (argv[0] !== 'ip') throw new Error(`not ip: ${argv.join(' ')}`);
      const ns = argv[1] === '-n' ? argv[2] : argv[1] === 'netns' ? argv[3] : undefined;
      expect([n.client, n.server, n.link]).toContain(ns);
    }
  });

  it('joins each host to the link namespace by a veth pair with MTU 1500 and turns TX checksum offload off on all four ends', () => {
    const veths = plan.filter((a) => a.includes('veth'));
    expect(veths).toHaveLength(2);
    for (const v of veths) expect(v.filter((x) => x === '1500')).toHaveLength(2);
    const offloads = plan.filter((a) => a.includes('ethtool')).map((a) => `${a[3]} ${a[6]} ${a.slice(7).join(' ')}`);
    expect(offloads).toEqual([
      'ss-7-client eth0 tx off gro off', 'ss-7-server eth0 tx off gro off',
      'ss-7-link to-client tx off gro off', 'ss-7-link to-server tx off gro off',
    ]);
  });

  it('gives the hosts their private addresses only inside their namespaces', () => {
    const addrs = plan.filter((a) => a.includes('addr')).map((a) => `${a[2]} ${a[5]}`);
    expect(addrs).toEqual(['ss-7-client 10.77.0.1/24', 'ss-7-server 10.77.0.2/24']);
  });

  it('sets and removes the rate on the link namespace\'s two ends', () => {
    expect(ratePlan(n, 800).map((a) => a.slice(3).join(' '))).toEqual([
      'ss-7-link tc qdisc replace dev to-client root tbf rate 800kbit burst 3028 limit 10000',
      'ss-7-link tc qdisc replace dev to-server root tbf rate 800kbit burst 3028 limit 10000',
    ]);
    expect(ratePlan(n, null).map((a) => a.slice(5).join(' '))).toEqual(['qdisc del dev to-client root', 'qdisc del dev to-server root']);
  });

  it('runs a command on a host with ip netns exec, arguments untouched', () => {
    expect(inNamespace('ss-7-client', ['python3', '-c', 'print("a; b")'])).toEqual(['ip', 'netns', 'exec', 'ss-7-client', 'python3', '-c', 'print("a; b")']);
  });
});

const facts = (over: Partial<LabFacts> = {}): LabFacts => ({
  platform: 'linux', has: () => true, privileged: true, userns: () => true, python: '/usr/bin/python3', ...over,
});

describe('whether the lab can run (capabilities.lab)', () => {

  it('as root', () => expect(decideLab(facts())).toMatchObject({ available: true, how: 'root' }));

  it('in a user namespace when not privileged and the kernel allows it', () => {
    expect(decideLab(facts({ privileged: false }))).toMatchObject({ available: true, how: 'userns' });
  });

  it('neither: says why and what to run', () => {
    const st = decideLab(facts({ privileged: false, userns: () => false }));
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(/root/);
    expect(st.fix?.linux).toMatch(/sudo/);
  });

  it('a missing tool is named with its install command', () => {
    const st = decideLab(facts({ has: (t) => t !== 'ethtool' }));
    expect(st).toMatchObject({ available: false, reason: expect.stringMatching(/ethtool/) });
    expect(st.fix?.linux).toMatch(/apt-get install/);
    expect(labUnavailable(st)).toMatch(/^--lab: .*ethtool.*to fix it: sudo apt-get/);
  });

  it('not Linux', () => expect(decideLab(facts({ platform: 'darwin' }))).toMatchObject({ available: false, reason: expect.stringMatching(/darwin/) }));
});

describe('the CLI flags', () => {
  it('without --lab: nothing, and a condition alone is an error', () => {
    expect(labFromFlags({})).toBeNull();
    expect(() => labFromFlags({ delay: 100 })).toThrow(/--delay sets the lab's link: add --lab/);
  });

  it('with --lab: the conditions, numbers as cac or a person gives them', () => {
    expect(labFromFlags({ lab: true })).toEqual(NO_CONDITIONS);
    expect(labFromFlags({ lab: true, delay: 100, loss: '2', rate: '800', jitter: 10 })).toEqual({ delayMs: 100, jitterMs: 10, lossPct: 2, rateKbit: 800 });
  });

  it.each([
    [{ lab: true, delay: 'soon' }, /--delay needs a number/], [{ lab: true, loss: true }, /--loss needs a number/],
    [{ lab: true, loss: 200 }, /loss must be 0–100/], [{ lab: 'yes' }, /takes no value/],
  ])('refuse %j', (f, why) => expect(() => labFromFlags(f)).toThrow(why));

  it('trace: takes the lab\'s flags from the options before the first program, and leaves the program\'s own', () => {
    expect(takeLabFlags(['--json', '--lab', '--delay', '100', '--timeout', '5', '--loss=2', 'server.py', '--delay', '3'])).toEqual({
      flags: { lab: true, delay: '100', loss: '2' },
      rest: ['--json', '--timeout', '5', 'server.py', '--delay', '3'],
    });
    expect(() => takeLabFlags(['--rate'])).toThrow(LabFlagError);
  });
});
