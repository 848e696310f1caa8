// The forwarder bench's instances: one process serving a tiny TCP protocol on several loopback
// addresses (one per instance, the same port): read a line, answer "pong <address>\n", close.
// A process apart from the bench's load generator, so the two do not share an event loop.
import net from "node:net";

const addresses = (process.env.ADDRESSES ?? "127.0.1.1").split(",");
const port = Number(process.env.PORT ?? "0");
let listening = 0;
for (const address of addresses) {
  const server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.once("data", () => socket.end(`pong ${address}\n`));
  });
  server.listen({ host: address, port, backlog: 4096 }, () => {
    listening += 1;
    if (listening === addresses.length)
      process.stdout.write(`${JSON.stringify({ msg: "listening", address: addresses.join(","), port })}\n`);
  });
}
