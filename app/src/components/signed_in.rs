//! The frame of every signed-in page: header, main landmark, and the sign-in guard.

use leptos::prelude::*;
use leptos_router::components::Redirect;

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
) -> impl IntoView {
    let app = use_app();
    let signed_in = Memo::new(move |_| app.session.with(Option::is_some));
    let manager = Memo::new(move |_| app.is_manager());
    move || {
        if !signed_in.get() {
            return view! { <Redirect path="/"/> }.into_any();
        }
        let body = if manager_only && !manager.get() {
            view! {
                <h1>"Not available"</h1>
                <p>"Only managers can open the team pages."</p>
            }
            .into_any()
        } else {
            children().into_any()
        };
        view! {
            <Header/>
            <main id="main" class="page">
                {body}
            </main>
        }
        .into_any()
    }
}
