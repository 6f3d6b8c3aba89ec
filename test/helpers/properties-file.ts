import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes `lines` as a Java properties file `name` in `dir` (a client's --command-config, say); its path. */
export function writePropertiesFile(dir: string, name: string, lines: Record<string, string>): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `${Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n")}\n`,
  );
  return file;
}
