//! The frame of every signed-in page: header, main landmark, and the sign-in guard.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use wasm_bindgen::JsCast;

use crate::components::Header;
use crate::state::use_app;

/// Renders its children under the header when someone is signed in; otherwise goes to sign-in.
/// The guard reacts only to signing in and out, so a refused token (which keeps the user) does
/// not re-render a page and lose what is being typed.
#[component]
pub fn SignedIn(
    children: ChildrenFn,
    /// Only managers may see this page.
    #[prop(optional)]
    manager_only: bool,
    /// Only administrators may see this page.
    #[prop(optional)]
    admin_only: bool,
    /// Only managers and administrators (finding and adding children).
    #[prop(optional)]
    staff_only: bool,
) -> impl IntoView {
    let app = use_app();
    let signed_in = Memo::new(move |_| app.session.with(Option::is_some));
    // After each navigation, focus moves to the new page's heading, so a screen reader says
    // where the person now is and the next Tab starts on the page, not in the header.
    let path = use_location().pathname;
    Effect::new(move |_| {
        path.track();
        request_animation_frame(focus_heading);
    });
    let manager = Memo::new(move |_| app.is_manager());
    let admin = Memo::new(move |_| app.is_admin());
    move || {
        if !signed_in.get() {
            return view! { <Redirect path="/"/> }.into_any();
        }
        let refused = (manager_only && !manager.get())
            || (admin_only && !admin.get())
            || (staff_only && !manager.get() && !admin.get());
        let body = if refused {
            let who = if admin_only {
                "administrators"
            } else if staff_only {
                "managers and administrators"
            } else {
                "managers"
            };
            view! {
                <h1>"Not available"</h1>
                <p>{format!("Only {who} can open this page.")}</p>
            }
            .into_any()
        } else {
            children().into_any()
        };
        view! {
            <a class="skip-link" href="#main" data-testid="skip-link"
                on:click=|ev: leptos::ev::MouseEvent| {
                    ev.prevent_default();
                    focus_heading();
                }>
                "Skip to the page"
            </a>
            <Header/>
            <main id="main" class="page" tabindex="-1">
                {body}
            </main>
        }
        .into_any()
    }
}

/// Focuses the page's first heading (or the main landmark when it has none).
fn focus_heading() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let target = document
        .query_selector("main h1")
        .ok()
        .flatten()
        .or_else(|| document.get_element_by_id("main"));
    if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        if !el.has_attribute("tabindex") {
            let _ = el.set_attribute("tabindex", "-1");
        }
        let _ = el.focus();
    }
}
