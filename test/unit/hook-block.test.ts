import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.js";
import { BLOCK_END, BLOCK_START, findHookBlock, insertHookBlock, removeHookBlock } from "../../src/git/hook-block.js";

const BODY = "if [ \"${GIT_ANNEX_XMPP:-1}\" != 0 ]; then\n\techo notify\nfi\n";
const OTHER_BODY = "echo other\n";
const GIT_ANNEX_POST_RECEIVE =
  "#!/bin/sh\n# automatically configured by git-annex\nif git annex post-receive --help >/dev/null 2>&1; then git annex post-receive; fi\n";

const samples: Record<string, string> = {
  "git-annex post-receive": GIT_ANNEX_POST_RECEIVE,
  "empty file": "",
  "shebang only, no newline": "#!/bin/sh",
  "shebang only": "#!/bin/sh\n",
  "no trailing newline": "#!/bin/sh\necho a\necho b",
  "CRLF line endings": "#!/bin/sh\r\necho a\r\necho b\r\n",
  "CRLF, no trailing newline": "#!/bin/sh\r\necho a",
  "no shebang": "echo a\n",
  "no shebang, no newline": "echo a",
  "blank lines at the end": "#!/bin/bash -e\n\necho a\n\n\n",
  "exits at the end": "#!/bin/sh\nexec git update-server-info\n",
  "mentions the marker text mid-line": `#!/bin/sh\necho '${BLOCK_START}'\n`,
};

describe("insertHookBlock / removeHookBlock", () => {
  for (const [name, text] of Object.entries(samples)) {
    it(`round-trips byte for byte: ${name}`, () => {
      const installed = insertHookBlock(text, BODY);
      expect(installed).toContain(BODY);
      expect(removeHookBlock(installed)).toBe(text);
    });

    it(`is idempotent and replaces the block in place: ${name}`, () => {
      const once = insertHookBlock(text, BODY);
      expect(insertHookBlock(once, BODY)).toBe(once);
      const changed = insertHookBlock(once, OTHER_BODY);
      expect(changed).toBe(insertHookBlock(text, OTHER_BODY));
      expect(removeHookBlock(changed)).toBe(text);
    });
  }

  it("puts the block right after the #! line, before the file's commands", () => {
    const installed = insertHookBlock(GIT_ANNEX_POST_RECEIVE, BODY);
    expect(installed).toBe(
      `#!/bin/sh\n${BLOCK_START}\n${BODY}${BLOCK_END}\n# automatically configured by git-annex\n` +
        "if git annex post-receive --help >/dev/null 2>&1; then git annex post-receive; fi\n",
    );
  });

  it("creates a new sh file that removal deletes again", () => {
    const created = insertHookBlock(undefined, BODY);
    expect(created).toBe(`#!/bin/sh\n${BLOCK_START} created-file\n${BODY}${BLOCK_END}\n`);
    expect(removeHookBlock(created)).toBeUndefined();
    expect(insertHookBlock(created, BODY)).toBe(created);
  });

  it("keeps a created file that someone has added lines to", () => {
    const edited = `${insertHookBlock(undefined, BODY)}echo mine\n`;
    expect(removeHookBlock(edited)).toBe("#!/bin/sh\necho mine\n");
  });

  it("replaces a block found in the middle of a file, keeping the rest", () => {
    const text = `#!/bin/sh\necho before\n${BLOCK_START}\nold stuff\n${BLOCK_END}\necho after`;
    expect(insertHookBlock(text, BODY)).toBe(`#!/bin/sh\necho before\n${BLOCK_START}\n${BODY}${BLOCK_END}\necho after`);
    expect(removeHookBlock(text)).toBe("#!/bin/sh\necho before\necho after");
  });

  it("recognises markers in a file converted to CRLF", () => {
    const crlf = insertHookBlock("#!/bin/sh\necho a\n", BODY).replace(/\n/g, "\r\n");
    expect(findHookBlock(crlf)).toBeDefined();
    expect(removeHookBlock(crlf)).toBe("#!/bin/sh\r\necho a\r\n");
  });

  it("drops duplicate blocks", () => {
    const block = `${BLOCK_START}\nx\n${BLOCK_END}\n`;
    const text = `#!/bin/sh\n${block}echo a\n${block}`;
    expect(insertHookBlock(text, BODY)).toBe(`#!/bin/sh\n${BLOCK_START}\n${BODY}${BLOCK_END}\necho a\n`);
    expect(removeHookBlock(text)).toBe("#!/bin/sh\necho a\n");
  });

  it("leaves a file without a block alone", () => {
    expect(removeHookBlock(GIT_ANNEX_POST_RECEIVE)).toBe(GIT_ANNEX_POST_RECEIVE);
    expect(findHookBlock(GIT_ANNEX_POST_RECEIVE)).toBeUndefined();
  });

  it("refuses a start marker without an end marker", () => {
    const broken = `#!/bin/sh\n${BLOCK_START}\necho half\n`;
    expect(() => removeHookBlock(broken)).toThrow(AppError);
    expect(() => insertHookBlock(broken, BODY)).toThrow(/without a matching/);
  });

  it("adds the final newline a body lacks", () => {
    expect(insertHookBlock(undefined, "echo x")).toBe(`#!/bin/sh\n${BLOCK_START} created-file\necho x\n${BLOCK_END}\n`);
  });
});

describe("round trip on generated files", () => {
  /** Small deterministic PRNG (mulberry32), so a failure reproduces. */
  function random(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const pieces = ["#!/bin/sh", "#!", "\n", "\r\n", "\r", "echo a", " ", "\t", "# >>> other >>>", "exit 0", "é", ""];

  it("remove(insert(x)) === x and insert is idempotent for 2000 generated files", () => {
    const next = random(42);
    for (let i = 0; i < 2000; i += 1) {
      const length = Math.floor(next() * 8);
      let text = "";
      for (let j = 0; j < length; j += 1) text += pieces[Math.floor(next() * pieces.length)];
      const installed = insertHookBlock(text, BODY);
      expect(removeHookBlock(installed), JSON.stringify(text)).toBe(text);
      expect(insertHookBlock(installed, BODY), JSON.stringify(text)).toBe(installed);
    }
  });
});
