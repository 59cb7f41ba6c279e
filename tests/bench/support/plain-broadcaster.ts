import http from 'node:http'

/**
 * The SSE benchmark's baseline: the least a server can do to fan out events — a plain node:http
 * server writing each frame to every open response. It makes its own events, `RATE` a second,
 * stamped with the time they were made, from `START` on; prints its port once listening.
 */
const rate = Number(process.env.RATE ?? 20)
const clients = new Set<http.ServerResponse>()
const server = http.createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  response.write('retry: 3000\n\n')
  clients.add(response)
  request.on('close', () => clients.delete(response))
})
let id = 0
const tick = () => {
  id++
  const frame = `id: ${id}\nevent: job.status\ndata: {"jobId":"bench","status":"sleeping","nextRunAt":"${new Date().toISOString()}"}\n\n`
  for (const client of clients) client.write(frame)
}
process.on('message', (message) => {
  if (message === 'start') setInterval(tick, 1000 / rate)
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
})
