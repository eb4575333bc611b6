//! The read-modify-write loop behind the `*_with` helpers, written once: read the entity,
//! decide the change, write it at the revision read; on a revision conflict (someone else
//! wrote in between) read again and decide again, a bounded number of rounds.

use std::future::Future;

use crate::error::Error;

/// Runs up to `rounds` (at least one) read–plan–write rounds. `plan` returns `None` when the
/// entity already is as wanted: nothing is written and the entity read is returned. Only a
/// revision conflict starts another round; any other error, or a conflict in the last round,
/// is returned as it is.
pub(crate) async fn read_modify_write<T, Change, ReadFut, WriteFut>(
    entity: &'static str,
    rounds: u32,
    mut read: impl FnMut() -> ReadFut,
    mut plan: impl FnMut(&T) -> Option<Change>,
    mut write: impl FnMut(Change) -> WriteFut,
) -> Result<T, Error>
where
    ReadFut: Future<Output = Result<T, Error>>,
    WriteFut: Future<Output = Result<T, Error>>,
{
    let rounds = rounds.max(1);
    let mut round = 0;
    loop {
        round += 1;
        let current = read().await?;
        let Some(change) = plan(&current) else {
            return Ok(current);
        };
        match write(change).await {
            Err(e) if e.is_revision_conflict() && round < rounds => {
                tracing::debug!(entity, round, "changed meanwhile; reading it again");
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::error::ApiError;

    fn conflict() -> Error {
        ApiError::new("update_test_entity", 409).into()
    }

    fn unavailable() -> Error {
        ApiError::new("update_test_entity", 503).into()
    }

    /// One case: what each write answers in turn, the rounds allowed, and what is expected.
    struct Case {
        name: &'static str,
        rounds: u32,
        writes: &'static [Answer],
        already_done: bool,
        reads: u32,
        written: u32,
        ok: bool,
    }

    #[derive(Clone, Copy)]
    enum Answer {
        Ok,
        Conflict,
        Unavailable,
    }

    #[tokio::test]
    async fn rounds_follow_the_conflicts_and_stop_at_the_bound() {
        let cases = [
            Case {
                name: "first write wins",
                rounds: 5,
                writes: &[Answer::Ok],
                already_done: false,
                reads: 1,
                written: 1,
                ok: true,
            },
            Case {
                name: "two conflicts, then through",
                rounds: 5,
                writes: &[Answer::Conflict, Answer::Conflict, Answer::Ok],
                already_done: false,
                reads: 3,
                written: 3,
                ok: true,
            },
            Case {
                name: "conflicts up to the bound",
                rounds: 3,
                writes: &[
                    Answer::Conflict,
                    Answer::Conflict,
                    Answer::Conflict,
                    Answer::Ok,
                ],
                already_done: false,
                reads: 3,
                written: 3,
                ok: false,
            },
            Case {
                name: "zero rounds still tries once",
                rounds: 0,
                writes: &[Answer::Conflict, Answer::Ok],
                already_done: false,
                reads: 1,
                written: 1,
                ok: false,
            },
            Case {
                name: "another error is not retried here",
                rounds: 5,
                writes: &[Answer::Unavailable, Answer::Ok],
                already_done: false,
                reads: 1,
                written: 1,
                ok: false,
            },
            Case {
                name: "nothing to change writes nothing",
                rounds: 5,
                writes: &[Answer::Ok],
                already_done: true,
                reads: 1,
                written: 0,
                ok: true,
            },
        ];
        for case in cases {
            let reads = Cell::new(0u32);
            let written = Cell::new(0u32);
            let result = read_modify_write(
                "test entity",
                case.rounds,
                || {
                    reads.set(reads.get() + 1);
                    async { Ok::<u32, Error>(reads.get()) }
                },
                |_| (!case.already_done).then_some(()),
                |()| {
                    let answer = case.writes[written.get() as usize];
                    written.set(written.get() + 1);
                    async move {
                        match answer {
                            Answer::Ok => Ok(0),
                            Answer::Conflict => Err(conflict()),
                            Answer::Unavailable => Err(unavailable()),
                        }
                    }
                },
            )
            .await;
            assert_eq!(reads.get(), case.reads, "{}: reads", case.name);
            assert_eq!(written.get(), case.written, "{}: writes", case.name);
            assert_eq!(result.is_ok(), case.ok, "{}: {result:?}", case.name);
        }
    }
}
