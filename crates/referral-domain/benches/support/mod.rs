//! What the benches share.

/// Starts the emulator on its own one-worker runtime thread (so that it and the measured client
/// each have a core) and returns its base URL, API key and default site id. It serves until the
/// bench process ends.
pub(crate) fn emulator_on_its_own_thread() -> (String, String, String) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let emulator = referral_emulator::Emulator::start()
                .await
                .expect("the emulator starts");
            ready_tx
                .send((
                    emulator.base_url().to_owned(),
                    emulator.api_key().to_owned(),
                    emulator.site_id().to_string(),
                ))
                .expect("the bench waits");
            std::future::pending::<()>().await;
            drop(emulator);
        });
    });
    ready_rx.recv().expect("the emulator started")
}
