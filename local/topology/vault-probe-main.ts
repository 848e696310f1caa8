// Entry point of the container topology's Vault client: run in the forwarder's network namespace (as
// an app container of the same Fargate task is), it knows only https://127.0.0.1:PORT. Makes COUNT
// calls, each on a new connection, and prints one JSON line: {answers, failures}.
import exit from "exit-x";
import fs from "node:fs";
import { probeVault } from "./vault-client";

const { PORT = "8200", COUNT = "1", SERVERNAME = "vault.internal", CA_FILE } = process.env;
if (!CA_FILE) {
  process.stderr.write("CA_FILE is required: expected the path of the service's CA certificate (PEM)\n");
  exit(2);
} else {
  probeVault(
    { host: "127.0.0.1", port: Number(PORT), servername: SERVERNAME, ca: fs.readFileSync(CA_FILE, "utf8") },
    Number(COUNT),
  ).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      exit(0);
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      exit(1);
    },
  );
}
