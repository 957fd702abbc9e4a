#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| briefing_bot_fuzz::schedule(data));
