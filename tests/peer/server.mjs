// The stock automerge-repo sync server for quilt-bench's peer rows: a Repo with the websocket
// server adapter and the Node file-system storage adapter, as @automerge/automerge-repo-sync-server
// runs it. Prints its port as JSON; "bytes" on standard input prints (and resets) how many bytes
// the tablets have sent it.
import { Repo } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import { WebSocketServer } from "ws";
import { createInterface } from "node:readline";

const dir = process.argv[2];
const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
await new Promise((r) => wss.on("listening", r));
let bytesIn = 0;
wss.on("connection", (ws) => ws.on("message", (m) => { bytesIn += m.length ?? m.byteLength; }));
new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "sync-server",
  sharePolicy: async () => false,
});
await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify({ port: wss.address().port }));
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (line === "bytes") {
    console.log(JSON.stringify({ bytes_in: bytesIn }));
    bytesIn = 0;
  }
});
rl.on("close", () => process.exit(0));
