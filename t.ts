import SQLite from 'better-sqlite3'

const db = new SQLite(process.argv[2]!)
const q1 = db.prepare(
  `select * from jobs where status != 'removed' order by created_at desc, id desc limit 101`,
)
const q2 = db.prepare(
  `select id,name,authorization_id,provider,job_type,type,status,pipeline_id,node_id,created_at,updated_at from jobs where status != 'removed' order by created_at desc, id desc limit 101`,
)
for (const q of [q1, q2, q1, q2]) {
  const t = performance.now()
  for (let i = 0; i < 200; i++) q.all()
  console.log((performance.now() - t) / 200, 'ms')
}
