use std::collections::BTreeMap;

use sqlx::{PgPool, Postgres, Transaction};

use crate::StoreError;

/// Consumer offsets in Postgres (`consumer_offsets`).
#[derive(Debug, Clone)]
pub struct OffsetStore {
    consumer: String,
}

impl OffsetStore {
    pub fn new(consumer: impl Into<String>) -> Self {
        OffsetStore {
            consumer: consumer.into(),
        }
    }

    /// The next offset of each partition of `topic` this consumer has stored; partitions it
    /// never committed are absent (start them at 0).
    pub async fn load(&self, pool: &PgPool, topic: &str) -> Result<Vec<(i32, i64)>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT partition, next_offset FROM consumer_offsets
               WHERE consumer = $1 AND topic = $2 ORDER BY partition"#,
            self.consumer,
            topic
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.partition, r.next_offset))
            .collect())
    }

    /// The stored next offset of a partition, locked for the rest of `tx` (two projectors on
    /// one schema serialize here instead of applying a batch twice).
    pub async fn lock(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        topic: &str,
        partition: i32,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT next_offset FROM consumer_offsets
               WHERE consumer = $1 AND topic = $2 AND partition = $3 FOR UPDATE"#,
            self.consumer,
            topic,
            partition
        )
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.map(|r| r.next_offset))
    }

    /// [`OffsetStore::lock`] for several partitions in one statement (locked in
    /// `(topic, partition)` order, so two projectors cannot deadlock); partitions never
    /// stored are absent.
    pub async fn lock_many(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        partitions: &[(String, i32)],
    ) -> Result<BTreeMap<(String, i32), i64>, StoreError> {
        let (topics, parts): (Vec<String>, Vec<i32>) = partitions.iter().cloned().unzip();
        let rows = sqlx::query!(
            r#"SELECT c.topic, c.partition, c.next_offset FROM consumer_offsets c
               JOIN UNNEST($2::text[], $3::int[]) AS u(t, p) ON c.topic = u.t AND c.partition = u.p
               WHERE c.consumer = $1 ORDER BY c.topic, c.partition FOR UPDATE OF c"#,
            self.consumer,
            &topics,
            &parts
        )
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ((r.topic, r.partition), r.next_offset))
            .collect())
    }

    /// [`OffsetStore::save`] for several partitions in one statement.
    pub async fn save_many(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        next: &[(String, i32, i64)],
    ) -> Result<(), StoreError> {
        if let Some((topic, partition, offset)) = next.iter().find(|(_, p, o)| *p < 0 || *o < 0) {
            return Err(StoreError::BadOffset {
                topic: topic.clone(),
                partition: *partition,
                offset: *offset,
            });
        }
        let topics: Vec<String> = next.iter().map(|(t, _, _)| t.clone()).collect();
        let parts: Vec<i32> = next.iter().map(|(_, p, _)| *p).collect();
        let offsets: Vec<i64> = next.iter().map(|(_, _, o)| *o).collect();
        sqlx::query!(
            r#"INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)
               SELECT $1, t, p, o FROM UNNEST($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)
               ON CONFLICT (consumer, topic, partition) DO UPDATE
               SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset),
                   updated_at = now()"#,
            self.consumer,
            &topics,
            &parts,
            &offsets
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records `next_offset` for a partition inside the caller's transaction — the one that
    /// also writes the rows those records produced. Offsets never move backwards here; a
    /// replay resets them explicitly.
    pub async fn save(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        topic: &str,
        partition: i32,
        next_offset: i64,
    ) -> Result<(), StoreError> {
        if partition < 0 || next_offset < 0 {
            return Err(StoreError::BadOffset {
                topic: topic.to_owned(),
                partition,
                offset: next_offset,
            });
        }
        sqlx::query!(
            r#"INSERT INTO consumer_offsets (consumer, topic, partition, next_offset)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (consumer, topic, partition) DO UPDATE
               SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset),
                   updated_at = now()"#,
            self.consumer,
            topic,
            partition,
            next_offset
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
