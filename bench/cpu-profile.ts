// Preloaded with --require into a process the bench profiles (Node 20 refuses --cpu-prof in
// NODE_OPTIONS): samples the CPU from start-up and writes a .cpuprofile when the process exits
// normally (hello exits 0 after its SIGTERM drain). BENCH_CPU_PROFILE is the file to write.
import * as fs from "node:fs";
import * as inspector from "node:inspector";

const file = process.env.BENCH_CPU_PROFILE;
if (file) {
  const session = new inspector.Session();
  session.connect();
  // The in-process session answers synchronously, so this also works inside an "exit" handler.
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  process.on("exit", () => {
    session.post("Profiler.stop", (err, result) => {
      if (!err) fs.writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
