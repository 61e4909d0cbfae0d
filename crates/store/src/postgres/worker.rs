//! The connection's own thread.
//!
//! The server calls the log from everywhere: from `spawn_blocking` tasks, but also straight from
//! async handlers on tokio's worker threads (`/health`, the stream's head). The `postgres`
//! crate is a blocking wrapper around `tokio-postgres` that drives its connection on a runtime
//! of its own, which must not be blocked on from inside another runtime's thread. So the
//! [`postgres::Client`] lives on one plain thread that this module owns, and every call is a job
//! shipped to it over a channel, its answer coming back on another: callable from any thread,
//! async or not, at the cost of two channel hops (microseconds, against a network round trip).

use std::sync::mpsc;
use std::thread::JoinHandle;

use postgres::Client;

use crate::StoreError;

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// The thread that owns the connection; dropping it closes the connection and joins the thread.
pub(super) struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Connects (on the new thread) with `config`; the connection error if it fails.
    pub(super) fn connect(config: postgres::Config) -> Result<Worker, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("deconflict-postgres".into())
            .spawn(move || {
                let mut client = match config.connect(postgres::NoTls) {
                    Ok(client) => {
                        let _ = ready.send(Ok(()));
                        client
                    }
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut client);
                }
            })
            .map_err(|source| StoreError::Io {
                path: "deconflict-postgres thread".into(),
                source,
            })?;
        let worker = Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        };
        match connected.recv() {
            Ok(Ok(())) => Ok(worker),
            Ok(Err(error)) => Err(StoreError::Postgres(error)),
            Err(_) => Err(StoreError::ConnectionLost),
        }
    }

    /// Runs `job` on the connection's thread and waits for its answer.
    pub(super) fn call<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Client) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let jobs = self.jobs.as_ref().ok_or(StoreError::ConnectionLost)?;
        jobs.send(Box::new(move |client: &mut Client| {
            let _ = answer.send(job(client));
        }))
        .map_err(|_| StoreError::ConnectionLost)?;
        // A job that panicked drops `answer` unsent, and takes the thread with it.
        answered.recv().map_err(|_| StoreError::ConnectionLost)?
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
