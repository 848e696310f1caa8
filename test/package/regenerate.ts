/**
 * `npm run docs:package`: asks the package's plugin for its schema (as `pulumi package add` does),
 * writes it to packages/ecs-cloudmap-consul/schema.json, and rewrites the README's reference
 * section from it. Review the schema diff: it is the package's public API.
 */
import * as fs from "fs";
import * as path from "path";
import exit from "exit-x";
import {
  host,
  MOCK_ANSWERS,
  PACKAGE_DIR,
  PackageSchema,
  schemaSize,
  schemaSnapshot,
  snapshotText,
  stopAll,
} from "./packages";
import { renderReference, withReference } from "./reference";

async function main(): Promise<void> {
  const { plugin } = await host(PACKAGE_DIR, MOCK_ANSWERS);
  const schema = JSON.parse(await plugin.getSchema()) as PackageSchema;
  const snapshot = schemaSnapshot(PACKAGE_DIR);
  fs.writeFileSync(snapshot, await snapshotText(schema, snapshot));
  const readme = path.join(PACKAGE_DIR, "README.md");
  fs.writeFileSync(readme, withReference(fs.readFileSync(readme, "utf8"), renderReference(schema)));
  const size = schemaSize(schema);
  console.log(
    `schema.json and README.md written: ${size.resources} resources, ${size.inputs} inputs, ` +
      `${size.outputs} outputs, ${size.types} object types (${size.typeFields} fields)`,
  );
}

main()
  .then(stopAll)
  .then(
    () => exit(0),
    async (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      await stopAll();
      exit(1);
    },
  );
