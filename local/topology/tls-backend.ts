// A stand-in for one instance of a Consul service that speaks TLS (a Vault server): HTTPS on
// HOST:PORT with the certificate in CERT_FILE/KEY_FILE. GET /v1/sys/health answers like Vault's
// health endpoint, plus the instance's id, so a client can tell which instance it reached.
import exit from "exit-x";
import fs from "node:fs";
import https from "node:https";

const { HOST = "127.0.0.1", PORT = "0", INSTANCE_ID = "instance", CERT_FILE, KEY_FILE } = process.env;
if (!CERT_FILE || !KEY_FILE) {
  process.stderr.write("CERT_FILE and KEY_FILE are required: expected paths of a PEM certificate and key\n");
  exit(2);
} else {
  serve(CERT_FILE, KEY_FILE);
}

function serve(certFile: string, keyFile: string): void {
  let served = 0;
  const server = https.createServer(
    { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
    (req, res) => {
      served += 1;
      const body =
        req.url === "/v1/sys/health"
          ? { initialized: true, sealed: false, standby: false, instance: INSTANCE_ID, served }
          : { errors: [`no handler for ${req.url}`] };
      res.writeHead(req.url === "/v1/sys/health" ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    },
  );
  server.listen(Number(PORT), HOST, () => {
    const { address, port } = server.address() as { address: string; port: number };
    process.stdout.write(`${JSON.stringify({ msg: "listening", address, port, instance: INSTANCE_ID })}\n`);
  });
  process.on("SIGTERM", () => server.close(() => exit(0)));
}
