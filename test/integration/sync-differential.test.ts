/**
 * Differential check of the listener's targeted sync against `git annex
 * sync --content` (issue 13): twin worlds (test/support/twins.ts) receive the
 * same seeded random changes in A (twin-ops.ts) over several rounds, with a
 * policy change midway (the store's preferred content); in one world the
 * clones sync as the listener does, in the other with sync --content. After
 * every round the worlds must hold the same: each clone's files and what it
 * would still get or drop, the hub's, the store's and the export remote's
 * real content. Each difference names the scenario (world and clone), the
 * round and the file.
 *
 * The scenarios share worlds where numcopies allows, to keep the run short:
 * every clone syncs once a round, in order, each seeing what the previous
 * ones did, the same in both worlds.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { applyRound, ChangeModel, prng } from "../support/twin-ops.js";
import { buildWorld, differences, syncClones, twinWorld, type CloneSpec, type WorldSpec } from "../support/twins.js";

const ROUNDS = 3;
/** Added to each scenario's seed: SYNC_DIFF_SEED=n explores other change sequences (CI uses 0). */
const SEED_OFFSET = Number(process.env.SYNC_DIFF_SEED ?? 0);
/** The policy change of the middle round. */
const MIDWAY = [["wanted", "store", "include=*.want or include=sub/*"]];

let box: AnnexSandbox;
const savedEnv = { ...process.env };

beforeAll(async () => {
  box = await createAnnexSandbox("gax-differential-");
  Object.assign(process.env, box.env);
});

afterAll(async () => {
  process.env = savedEnv;
  await box?.cleanup();
});

const group = (name: string, clone = name): CloneSpec => ({ name: clone, annex: [["group", "here", name], ["wanted", "here", "standard"]] });
const wanted = (name: string, expression: string): CloneSpec => ({ name, annex: [["wanted", "here", expression]] });

const SCENARIOS: Array<{ name: string; seed: number; spec: WorldSpec }> = [
  {
    name: "numcopies 1, client (tracking an export remote), transfer, backup, archive, no preferred content",
    seed: 1,
    spec: {
      exportRemote: true,
      annexInA: [["wanted", "ex", "exclude=*.skip"]],
      clones: [{ ...group("client"), tracksExport: true }, group("transfer"), group("backup"), group("archive"), { name: "none", annex: [] }],
    },
  },
  {
    name: "numcopies 1, incrementalbackup, manual, groupwanted, metadata, explicit expression",
    seed: 2,
    spec: {
      clones: [
        group("incrementalbackup"),
        group("manual"),
        { name: "groupwanted", annex: [["groupwanted", "mine", "include=sub/* or include=*.want"], ["group", "here", "mine"], ["wanted", "here", "groupwanted"]] },
        wanted("metadata", "metadata=tag=keep"),
        wanted("expression", "include=*.want or (include=deep/* and exclude=*.skip)"),
      ],
    },
  },
  {
    name: "numcopies 2, explicit expression, metadata, client",
    seed: 3,
    spec: { annexInA: [["numcopies", "2"]], clones: [wanted("expression", "include=*.want or include=sub/*"), wanted("metadata", "metadata=tag=keep or include=*.txt"), group("client")] },
  },
  {
    name: "numcopies 3, explicit expression, backup",
    seed: 4,
    spec: { annexInA: [["numcopies", "3"]], clones: [wanted("expression", "include=*.want"), group("backup")] },
  },
];

describe.concurrent("twin worlds: the listener and git annex sync --content end the same", () => {
  SCENARIOS.forEach(({ name, seed, spec }, index) => {
    it(name, async () => {
      const listener = await buildWorld(box, join(box.root, `s${index}-listener`), spec);
      const twin = await twinWorld(box, listener, join(box.root, `s${index}-twin`));
      const model = new ChangeModel(prng(seed + SEED_OFFSET));
      const problems: string[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        if (round > 0) {
          const changes = model.next(round, round === Math.ceil(ROUNDS / 2) ? MIDWAY : []);
          await Promise.all([applyRound(box, listener.a, changes), applyRound(box, twin.a, changes)]);
        }
        await Promise.all([syncClones(box, listener, "listener"), syncClones(box, twin, "sync --content")]);
        problems.push(...(await differences(box, listener, twin, `[${name}] round ${round}`)));
      }
      expect(problems).toEqual([]);
      // The listener did scan by target after its first, full, scan.
      for (const [clone, lines] of listener.logs) expect(lines.join("\n"), clone).toMatch(/targeted scan of/);
    }, 600_000);
  });
});
