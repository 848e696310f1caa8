// Container health check: exit 0 iff GET http://127.0.0.1:$PORT/health answers 200 within 2 s.
// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.
import exit from "exit-x";
import http from "node:http";

const port = Number(process.env.PORT ?? "3000");
const req = http.get({ host: "127.0.0.1", port, path: "/health", timeout: 2000 }, (res) => {
  res.resume();
  exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", () => exit(1));
