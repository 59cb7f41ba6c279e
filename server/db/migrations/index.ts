import type { Migration } from 'kysely'
import * as foundation from './0001-foundation.ts'
import * as collect from './0002-collect.ts'
import * as profiles from './0003-profiles.ts'
import * as audiences from './0004-audiences.ts'
import * as exportsState from './0005-exports.ts'
import * as changes from './0006-changes.ts'
import * as retentionLoss from './0007-retention-loss.ts'
import * as replayOrder from './0008-replay-order.ts'
import * as outbox from './0009-outbox.ts'
import * as alerts from './0010-alerts.ts'
import * as vault from './0011-vault.ts'
import * as outboxListeners from './0012-outbox-listeners.ts'
import * as partialJobIndexes from './0013-partial-job-indexes.ts'
import * as userDisabled from './0014-user-disabled.ts'

/** Every migration in order. Listed explicitly so they bundle and run the same from any cwd. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-collect': collect,
  '0003-profiles': profiles,
  '0004-audiences': audiences,
  '0005-exports': exportsState,
  '0006-changes': changes,
  '0007-retention-loss': retentionLoss,
  '0008-replay-order': replayOrder,
  '0009-outbox': outbox,
  '0010-alerts': alerts,
  '0011-vault': vault,
  '0012-outbox-listeners': outboxListeners,
  '0013-partial-job-indexes': partialJobIndexes,
  '0014-user-disabled': userDisabled,
}
