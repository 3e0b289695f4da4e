import { PikflowError } from '@pikflow/catalog';
import { pipelineVersions, pipelines, type Db } from '@pikflow/db';
import type { PipelineDocument, PipelineSummary, PipelineView } from '@pikflow/pipeline';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';

export interface StoredVersion {
  pipelineId: string;
  name: string;
  versionId: string;
  version: number;
  document: PipelineDocument;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

function summary(row: typeof pipelines.$inferSelect): PipelineSummary {
  return {
    id: row.id,
    name: row.name,
    latestVersion: row.latestVersion,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function notFound(id: string): PikflowError {
  return new PikflowError('not_found', `Pipeline ${id} does not exist (or was deleted)`, { field: 'id' });
}

/**
 * Pipelines and their immutable versions. A save never changes a stored version: it adds
 * the next one, so runs keep pointing at exactly what they ran. Deleting hides the
 * pipeline; its versions stay for the runs that used them. Documents are validated by the
 * caller (routes) before they get here.
 */
export class PipelineStore {
  constructor(private readonly db: Db) {}

  async create(name: string, document: PipelineDocument): Promise<{ id: string; version: number }> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(pipelines).values({ name, latestVersion: 1 }).returning({ id: pipelines.id });
      await tx.insert(pipelineVersions).values({ pipelineId: row!.id, version: 1, document });
      return { id: row!.id, version: 1 };
    });
  }

  async list(): Promise<PipelineSummary[]> {
    const rows = await this.db.select().from(pipelines).where(isNull(pipelines.deletedAt)).orderBy(desc(pipelines.updatedAt));
    return rows.map(summary);
  }

  private async live(id: string) {
    const [row] = await this.db
      .select()
      .from(pipelines)
      .where(and(eq(pipelines.id, id), isNull(pipelines.deletedAt)))
      .limit(1);
    if (!row) throw notFound(id);
    return row;
  }

  /** One version (the latest by default) of a live pipeline. */
  async getVersion(id: string, version?: number): Promise<StoredVersion> {
    const pipeline = await this.live(id);
    const wanted = version ?? pipeline.latestVersion;
    const [row] = await this.db
      .select()
      .from(pipelineVersions)
      .where(and(eq(pipelineVersions.pipelineId, id), eq(pipelineVersions.version, wanted)))
      .limit(1);
    if (!row) {
      throw new PikflowError('not_found', `Pipeline ${id} has no version ${wanted} (latest is ${pipeline.latestVersion})`, {
        field: 'version',
      });
    }
    return { pipelineId: id, name: pipeline.name, versionId: row.id, version: row.version, document: row.document as PipelineDocument };
  }

  async get(id: string, version?: number): Promise<PipelineView> {
    const pipeline = await this.live(id);
    const stored = await this.getVersion(id, version);
    const versions = await this.db
      .select({ version: pipelineVersions.version, createdAt: pipelineVersions.createdAt })
      .from(pipelineVersions)
      .where(eq(pipelineVersions.pipelineId, id))
      .orderBy(desc(pipelineVersions.version));
    return {
      ...summary(pipeline),
      version: stored.version,
      document: stored.document,
      versions: versions.map((v) => ({ version: v.version, createdAt: iso(v.createdAt) })),
    };
  }

  /** Renames and/or saves a new version; returns the version now current. */
  async update(
    id: string,
    change: { name?: string; document?: PipelineDocument; baseVersion?: number },
  ): Promise<{ id: string; version: number }> {
    return this.db.transaction(async (tx) => {
      // The row update takes the row lock, so concurrent saves get consecutive versions.
      const [row] = await tx
        .update(pipelines)
        .set({
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(change.document !== undefined ? { latestVersion: sql`${pipelines.latestVersion} + 1` } : {}),
          updatedAt: new Date(),
        })
        .where(and(eq(pipelines.id, id), isNull(pipelines.deletedAt)))
        .returning({ latestVersion: pipelines.latestVersion });
      if (!row) throw notFound(id);
      if (change.document === undefined) return { id, version: row.latestVersion };
      if (change.baseVersion !== undefined && change.baseVersion !== row.latestVersion - 1) {
        throw new PikflowError(
          'conflict',
          `Pipeline ${id} was saved by someone else meanwhile (version ${row.latestVersion - 1}, yours is based on ${change.baseVersion}); reload it and save again`,
          { field: 'baseVersion' },
        );
      }
      await tx.insert(pipelineVersions).values({ pipelineId: id, version: row.latestVersion, document: change.document });
      return { id, version: row.latestVersion };
    });
  }

  async remove(id: string): Promise<void> {
    const rows = await this.db
      .update(pipelines)
      .set({ deletedAt: new Date() })
      .where(and(eq(pipelines.id, id), isNull(pipelines.deletedAt)))
      .returning({ id: pipelines.id });
    if (rows.length === 0) throw notFound(id);
  }
}
