// Container health check: exit 0 iff GET http://127.0.0.1:$ADMIN_PORT/health answers 200 within 2 s.
// The forwarder's own (not the apps' shared copy): its admin port must not collide with the app's PORT
// in the task's shared network namespace.
import exit from "exit-x";
import http from "node:http";

const port = Number(process.env.ADMIN_PORT ?? "9901");
const req = http.get({ host: "127.0.0.1", port, path: "/health", timeout: 2000 }, (res) => {
  res.resume();
  exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", () => exit(1));
