import { applyMapping, type Mapped } from '../../nodes/mapping.ts'
import type { Mapping } from '../../nodes/pipeline.ts'
import { newId } from '../db/ids.ts'
import { serialize } from '../db/locks.ts'
import {
  anySuppressed,
  type IdentityRow,
  LIVE,
  loadIdentities,
  loadProfiles,
  loadSuppressed,
  messageIdTaken,
  type ProfileState,
  type ProfileTarget,
  writeUnified,
} from '../db/profiles-write.repo.ts'
import type { Executor, NewRawMessage } from '../db/schema.ts'
import { MAX_MESSAGE_ID } from './collect-json.ts'
import { extractIdentities, type Identity, type IdentityRules, identityHash } from './identity.ts'
import { recordOf } from './record.ts'

/** The columns of a raw message unification reads. */
export interface PendingMessage {
  seq: number
  stream: string
  event_time: string
  payload: string
  job_id: string | null
  upload_id: string | null
}

export interface UnifyContext {
  rules: IdentityRules
  /** The mapping of the source that produced the message, if any. */
  mappingFor(message: PendingMessage): Mapping | null
  mergeCap: number
  now: string
  /** The job a pushed stream's messages count for (its Collect API node); job rows name their own. */
  jobOf?: (stream: string) => string | null
  /** Whether any identity is suppressed, when the caller already knows; else it is looked up. */
  suppressions?: boolean
  /** The live tables (default), or a rebuild's next generation (see rebuild.ts). */
  target?: ProfileTarget
  /**
   * A rebuild's id keeper: the live profile a new person of the next generation should keep the
   * id (and creation time) of, given their identities; null for a new id.
   */
  reuse?: (identities: Identity[]) => Promise<{ id: string; createdAt: string } | null>
  /**
   * Messages given with a reserved seq but not stored yet (a job's records): they are inserted
   * with their outcome, once, instead of inserted and then marked applied.
   */
  unstored?: ReadonlyMap<number, NewRawMessage>
}

export interface UnifyResult {
  /** Profiles created or changed. */
  changed: number
  created: number
  merged: number
  /** Messages that carried no (unsuppressed) identity: stored raw, applied to no one. */
  omitted: number
  /** Messages about a person who asked to be forgotten: deleted, applied to no one. */
  suppressed: number
  unifiedByUpload: Map<string, number>
  /** Staged rows whose messageId was already stored: deleted at unification (see bulk-upload.ts). */
  duplicatesByUpload: Map<string, number>
  byJob: Map<string, { changed: Set<string>; omitted: number }>
  /** The profile each applied message ended up in (null: identity-less), by seq. */
  assigned: Map<number, string | null>
}

/** `(event time, seq)` of a stored attribute value: the total order of last-writer-wins. */
type Stamped = [value: unknown, eventTime: string, seq: number, stream: string]

const newer = (a: Stamped, eventTime: string, seq: number) =>
  eventTime > a[1] || (eventTime === a[1] && seq > a[2])

/**
 * Applies raw messages to profiles (DESIGN.md §5) inside the caller's transaction: mapping,
 * identity resolution with merges into the oldest profile, the merge cap, suppression, and
 * last-writer-wins per attribute by `(event time, ingest sequence)` — so any order of
 * application, any split into chunks, yields the same profiles. One exception: which people a
 * shared value joins before it reaches the merge cap depends on the order it met them in (the
 * cap is a brake on damage, not part of the person's definition); a rebuild replays in seq order.
 */
export async function unifyMessages(
  trx: Executor,
  messages: readonly PendingMessage[],
  context: UnifyContext,
): Promise<UnifyResult> {
  const result: UnifyResult = {
    changed: 0,
    created: 0,
    merged: 0,
    omitted: 0,
    suppressed: 0,
    unifiedByUpload: new Map(),
    duplicatesByUpload: new Map(),
    byJob: new Map(),
    assigned: new Map(),
  }
  if (messages.length === 0) return result
  const generation = context.target ?? LIVE
  // One unifier at a time across processes: two would both create a profile for one new identity.
  await serialize(trx, 'sluice.unify')

  // Staged upload rows carry their messageId in the payload only; the dedup happens here, against
  // what is visible, so a discarded upload never shadows a message sent another way.
  const deleted: PendingMessage[] = []
  const claimedIds = new Map<number, string>()
  const seenIds = new Set<string>()
  const prepared: { message: PendingMessage; mapped: Mapped; identities: Identity[] }[] = []
  for (const message of messages) {
    const payload = JSON.parse(message.payload) as Record<string, unknown>
    // A replay applies what was applied once: its duplicates were dropped then.
    const messageId = message.upload_id && generation.live ? stagedMessageId(payload) : null
    if (messageId !== null) {
      const dedupKey = `${message.stream}\u001f${messageId}`
      if (seenIds.has(dedupKey) || (await messageIdTaken(trx, message.stream, messageId))) {
        deleted.push(message)
        const counts = result.duplicatesByUpload
        counts.set(message.upload_id!, (counts.get(message.upload_id!) ?? 0) + 1)
        continue
      }
      seenIds.add(dedupKey)
      claimedIds.set(message.seq, messageId)
    }
    const mapped = applyMapping(recordOf(payload), context.mappingFor(message))
    prepared.push({
      message,
      mapped,
      identities: extractIdentities(mapped.attributes, mapped.identityFields, context.rules),
    })
  }
  const keys = new Set<string>()
  for (const entry of prepared) for (const { key } of entry.identities) keys.add(key)
  const suppressed = new Set<string>()
  if (context.suppressions ?? (await anySuppressed(trx))) {
    const hashes = new Map([...keys].map((key) => [key, identityHash(key)]))
    const found = await loadSuppressed(trx, [...hashes.values()])
    for (const [key, hash] of hashes) if (found.has(hash)) suppressed.add(key)
  }
  const identities = await loadIdentities(
    trx,
    [...keys].filter((key) => !suppressed.has(key)),
    generation,
  )
  const profiles = await loadProfiles(
    trx,
    [...new Set([...identities.values()].map((row) => row.profileId))],
    generation,
  )
  // A value whose profile is gone (deleted by hand) is unknown again; the upsert re-homes it.
  for (const [key, row] of identities) if (!profiles.has(row.profileId)) identities.delete(key)

  const redirect = new Map<string, string>()
  const find = (id: string): string => {
    let current = id
    while (redirect.has(current)) current = redirect.get(current)!
    return current
  }
  const merges: { from: string; into: string; identity: string; seq: number }[] = []
  const assigned = new Map<number, string | null>()
  const changed = new Set<string>()

  const mergeInto = (survivor: ProfileState, gone: ProfileState) => {
    for (const [name, stamped] of Object.entries(gone.attributes)) {
      const mine = stampOf(survivor, name)
      if (!mine || newer(mine, stamped[1], stamped[2])) setStamp(survivor, name, stamped)
    }
    for (const stream of gone.streams) survivor.streams.add(stream)
    gone.deleted = true
    survivor.dirty = true
    redirect.set(gone.id, survivor.id)
  }

  for (const { message, mapped, identities: found } of prepared) {
    // A message naming anyone suppressed is that person's: it is deleted, never applied, so a
    // forgotten person does not come back through another identity or their attributes.
    if (found.some((identity) => suppressed.has(identity.key))) {
      if (generation.live) deleted.push(message)
      result.suppressed += 1
      tally(result, message, null, context.jobOf)
      continue
    }
    const usable = found
    if (usable.length === 0) {
      assigned.set(message.seq, null)
      result.omitted += 1
      tally(result, message, null, context.jobOf)
      continue
    }
    const known: { identity: Identity; row: IdentityRow }[] = []
    const unknown: Identity[] = []
    for (const identity of usable) {
      const row = identities.get(identity.key)
      if (row) known.push({ identity, row })
      else unknown.push(identity)
    }
    // The merge cap: a value that would join a person of equal or higher rank into its profile
    // counts a join; past the cap it is flagged and never bridges two people again.
    for (const entry of known) {
      if (entry.row.flaggedAt) continue
      const home = find(entry.row.profileId)
      let foreign: Set<string> | null = null
      for (const other of known) {
        if (other === entry || other.row.flaggedAt || other.identity.priority > entry.identity.priority)
          continue
        const theirs = find(other.row.profileId)
        if (theirs === home) continue
        foreign ??= new Set()
        foreign.add(theirs)
      }
      if (unknown.some((identity) => identity.priority <= entry.identity.priority)) {
        foreign ??= new Set()
        foreign.add('')
      }
      if (foreign === null) continue
      if (entry.row.joins + foreign.size > context.mergeCap) {
        entry.row.flaggedAt = context.now
      } else {
        entry.row.joins += foreign.size
      }
      entry.row.dirty = true
    }
    const active = known.filter((entry) => !entry.row.flaggedAt)
    let target: ProfileState | undefined
    const candidates = [...new Set(active.map((entry) => find(entry.row.profileId)))].map(
      (id) => profiles.get(id)!,
    )
    if (candidates.length === 0) {
      if (unknown.length === 0) {
        // Only flagged values: the message still belongs to the profile that holds them.
        target = profiles.get(find(known[0]!.row.profileId))
      } else {
        const kept = context.reuse ? await context.reuse(usable) : null
        target = {
          id: kept && !profiles.has(kept.id) ? kept.id : newId(),
          attributes: {},
          streams: new Set(),
          createdAt: kept && !profiles.has(kept.id) ? kept.createdAt : context.now,
          isNew: true,
          dirty: true,
          deleted: false,
        }
        profiles.set(target.id, target)
        result.created += 1
      }
    } else {
      candidates.sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
      )
      target = candidates[0]!
      for (const gone of candidates.slice(1)) {
        mergeInto(target, gone)
        merges.push({ from: gone.id, into: target.id, identity: usable[0]!.key, seq: message.seq })
        result.merged += 1
      }
    }
    if (!target) throw new Error(`identity of message ${message.seq} points to a missing profile`)
    for (const identity of unknown) {
      identities.set(identity.key, {
        key: identity.key,
        field: identity.field,
        value: identity.value,
        profileId: target.id,
        joins: 0,
        flaggedAt: null,
        isNew: true,
        dirty: true,
      })
    }
    let touched = false
    for (const name in mapped.attributes) {
      if (!Object.hasOwn(mapped.attributes, name)) continue
      const value = mapped.attributes[name]
      const stored = stampOf(target, name)
      if (!stored || newer(stored, message.event_time, message.seq)) {
        setStamp(target, name, [value, message.event_time, message.seq, message.stream])
        touched = true
      }
    }
    if (!target.streams.has(message.stream)) {
      target.streams.add(message.stream)
      touched = true
    }
    if (touched || unknown.length > 0 || target.isNew) target.dirty = true
    if (target.dirty) changed.add(target.id)
    assigned.set(message.seq, target.id)
    // A message that changed nothing is neither an added nor an omitted profile in the metrics.
    tally(result, message, target.dirty ? target.id : undefined, context.jobOf)
  }

  for (const row of identities.values()) row.profileId = find(row.profileId)
  for (const [seq, id] of assigned) assigned.set(seq, id === null ? null : find(id))
  for (const id of changed) if (profiles.get(id)?.deleted) changed.delete(id)
  for (const counts of result.byJob.values()) {
    counts.changed = new Set([...counts.changed].map(find))
  }
  result.changed = changed.size
  result.assigned = assigned
  await writeUnified(
    trx,
    {
      profiles,
      identities,
      merges,
      assigned,
      claimedIds,
      deleted,
      unstored: context.unstored,
      now: context.now,
    },
    generation,
  )
  return result
}

/** Counts a message: applied to `profileId` (changed), applied with no change (undefined), or omitted (null). */
function tally(
  result: UnifyResult,
  message: PendingMessage,
  profileId: string | null | undefined,
  jobOf?: UnifyContext['jobOf'],
) {
  if (message.upload_id) {
    result.unifiedByUpload.set(message.upload_id, (result.unifiedByUpload.get(message.upload_id) ?? 0) + 1)
  }
  const jobId = message.job_id ?? jobOf?.(message.stream) ?? null
  if (jobId) {
    const counts = result.byJob.get(jobId) ?? { changed: new Set<string>(), omitted: 0 }
    if (profileId) counts.changed.add(profileId)
    else if (profileId === null) counts.omitted += 1
    result.byJob.set(jobId, counts)
  }
}

/** Own properties only: an attribute named `constructor` or `__proto__` is data like any other. */
function stampOf(profile: ProfileState, name: string): Stamped | undefined {
  return Object.hasOwn(profile.attributes, name) ? profile.attributes[name] : undefined
}

function setStamp(profile: ProfileState, name: string, stamped: Stamped): void {
  if (name !== '__proto__') profile.attributes[name] = stamped
  else Object.defineProperty(profile.attributes, name, { value: stamped, enumerable: true, writable: true })
}

/** The messageId a staged row was sent with (Lytics rows and Segment messages name it alike). */
function stagedMessageId(payload: Record<string, unknown>): string | null {
  const id = payload.messageId
  return typeof id === 'string' && id !== '' && id.length <= MAX_MESSAGE_ID ? id : null
}
