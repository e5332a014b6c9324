/* migrate.h: apply schema/NNN-*.sql in order, recording each version. */
#ifndef WAPOOL_MIGRATE_H
#define WAPOOL_MIGRATE_H

#include "buf.h"
#include "db.h"

/*
 * Apply every migration in dir whose number is above the database's
 * recorded version, in order; each applied file is recorded in
 * schema_migrations.  Refuses (DB_CONFLICT) when the database holds a
 * version newer than any file.  Writes one line per applied file to
 * report.  Returns DB_OK or a DB_* code with the reason in err.
 */
int	migrate_apply(struct db *db, const char *dir, struct buf *report, struct buf *err);
/* The highest version recorded in the database (0 for an empty one), or a DB_* code. */
int	migrate_current_version(struct db *db, long long *version);

#endif
