//! Ctrl+Enter (⌘+Enter on a Mac): send the form you are typing in. The prompt box and the
//! refine box both use this one handler.

use leptos::ev::KeyboardEvent;

pub fn on_ctrl_enter(submit: impl Fn() + 'static) -> impl Fn(KeyboardEvent) + 'static {
    move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            submit();
        }
    }
}
