//! The body map: simple front and back outlines of a child, marks placed by tap, click or
//! keyboard on the observation form, and the record's view comparing marks across dates.
//!
//! Mark positions are per-mille of the outline's width and height (see `shared::record::BodyMark`).
//! The outlines are drawn in a 200 x 400 view box that fills the SVG's box exactly, so a click's
//! position within the SVG's box converts straight to per-mille.
//!
//! tidy: long file — no good reason: geometry, the editor and the comparison share one file. Issue
//! 11 (item 5) splits it into `body_map/`.

use leptos::prelude::*;
use shared::choice::Choice as _;
use shared::record::{BodyMark, BodyView, MarkKind, Side};

use crate::components::form::{SelectInput, TextArea, TextInput};
use crate::platform;

const VB_W: f64 = 200.0;
const VB_H: f64 = 400.0;
const VIEW_BOX: &str = "0 0 200 400";

/// Distinct colours (each at least 4.5:1 against white text) for marks of different dates.
pub const DATE_COLOURS: [&str; 8] = [
    "#1d4f6e", "#8a1c1c", "#0b5d1e", "#6b3fa0", "#7a4f00", "#00696b", "#a0336b", "#3d3d3d",
];

/// The child's side under a point. Seen from the front the child's right is on the viewer's
/// left; from the back it is on the viewer's right.
fn side_at(view: BodyView, x_vb: f64) -> Side {
    if (x_vb - VB_W / 2.0).abs() < 8.0 {
        Side::Midline
    } else if (x_vb < VB_W / 2.0) == (view == BodyView::Front) {
        Side::Right
    } else {
        Side::Left
    }
}

/// A rough body region for a point on the outline, to prefill the mark's region.
pub fn region_at(view: BodyView, x: u16, y: u16) -> (&'static str, Side) {
    let (x, y) = (f64::from(x) * VB_W / 1000.0, f64::from(y) * VB_H / 1000.0);
    let front = view == BodyView::Front;
    let from_mid = (x - VB_W / 2.0).abs();
    let region = if y < 68.0 {
        match (front, y > 30.0 && from_mid < 20.0) {
            (true, true) => "Face",
            (true, false) => "Head",
            (false, _) => "Back of head",
        }
    } else if y < 86.0 && from_mid < 16.0 {
        if front {
            "Neck"
        } else {
            "Back of neck"
        }
    } else if y < 214.0 && from_mid > 48.0 {
        if y >= 202.0 {
            "Hand"
        } else if y < 100.0 && from_mid < 54.0 {
            "Shoulder"
        } else if y < 145.0 {
            "Upper arm"
        } else {
            "Forearm"
        }
    } else if (202.0..240.0).contains(&y) && from_mid > 44.0 {
        "Hand"
    } else if y < 104.0 {
        "Shoulder"
    } else if y < 150.0 {
        if front {
            "Chest"
        } else {
            "Upper back"
        }
    } else if y < 190.0 {
        if front {
            "Abdomen"
        } else {
            "Lower back"
        }
    } else if y < 236.0 && from_mid < 40.0 {
        if front {
            "Hips"
        } else {
            "Buttocks"
        }
    } else if y < 292.0 {
        if front {
            "Thigh"
        } else {
            "Back of thigh"
        }
    } else if y < 312.0 {
        if front {
            "Knee"
        } else {
            "Back of knee"
        }
    } else if y < 364.0 {
        if front {
            "Lower leg"
        } else {
            "Calf"
        }
    } else if front {
        "Foot"
    } else {
        "Heel and sole"
    };
    (region, side_at(view, x))
}

/// Places a keyboard user can put a mark, top to bottom: (front name, back name, x, y, paired)
/// in view-box units on the viewer's left; paired regions are mirrored to the right.
const PLACES: &[(&str, &str, f64, f64, bool)] = &[
    ("Head", "Back of head", 100.0, 24.0, false),
    ("Face", "Back of head", 100.0, 46.0, false),
    ("Neck", "Back of neck", 100.0, 76.0, false),
    ("Shoulder", "Shoulder", 66.0, 94.0, true),
    ("Chest", "Upper back", 82.0, 126.0, true),
    ("Abdomen", "Lower back", 100.0, 170.0, false),
    ("Hips", "Buttocks", 82.0, 210.0, true),
    ("Upper arm", "Upper arm", 48.0, 120.0, true),
    ("Forearm", "Forearm", 39.0, 175.0, true),
    ("Hand", "Hand", 35.0, 218.0, true),
    ("Thigh", "Back of thigh", 80.0, 252.0, true),
    ("Knee", "Back of knee", 82.0, 300.0, true),
    ("Lower leg", "Calf", 84.0, 338.0, true),
    ("Foot", "Heel and sole", 82.0, 376.0, true),
];

/// One placeable region for the keyboard: its label, region, side and position (per-mille).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub label: String,
    pub region: &'static str,
    pub side: Side,
    pub x: u16,
    pub y: u16,
}

/// Moves keyboard focus to an element by id once the page has caught up with the latest
/// signal changes (the element may only just be appearing).
fn focus(id: &'static str) {
    use wasm_bindgen::JsCast;
    leptos::leptos_dom::helpers::request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

fn to_pm(v: f64, span: f64) -> u16 {
    (v / span * 1000.0).round().clamp(0.0, 1000.0) as u16
}

pub fn places(view: BodyView) -> Vec<Place> {
    let mut out = Vec::new();
    for &(front, back, x, y, paired) in PLACES {
        let region = if view == BodyView::Front { front } else { back };
        if out.iter().any(|p: &Place| p.region == region && !paired) {
            continue;
        }
        let xs: Vec<f64> = if paired { vec![x, VB_W - x] } else { vec![x] };
        for x in xs {
            let side = side_at(view, x);
            let label = if paired {
                format!("{region} ({})", side.label().to_lowercase())
            } else {
                region.to_owned()
            };
            out.push(Place {
                label,
                region,
                side,
                x: to_pm(x, VB_W),
                y: to_pm(y, VB_H),
            });
        }
    }
    out
}

/// The outline's shapes. Drawn twice (stroke underneath, fill on top) so only the silhouette's
/// edge shows, not where the parts overlap.
fn shapes(class: &'static str) -> impl IntoView {
    view! {
        <g class=class>
            <ellipse cx="100" cy="38" rx="25" ry="29"/>
            <rect x="89" y="58" width="22" height="28" rx="6"/>
            <path d="M64 84 Q100 74 136 84 Q148 88 146 104 L140 150 Q136 180 140 214 L60 214 Q64 180 60 150 L54 104 Q52 88 64 84 Z"/>
            <path d="M60 88 Q44 90 42 108 L28 204 L46 206 L60 128 Z"/>
            <path d="M140 88 Q156 90 158 108 L172 204 L154 206 L140 128 Z"/>
            <ellipse cx="36" cy="218" rx="10" ry="15"/>
            <ellipse cx="164" cy="218" rx="10" ry="15"/>
            <path d="M61 204 L99 204 L97 300 L92 368 L74 368 L69 300 Z"/>
            <path d="M139 204 L101 204 L103 300 L108 368 L126 368 L131 300 Z"/>
            <ellipse cx="82" cy="377" rx="15" ry="9"/>
            <ellipse cx="118" cy="377" rx="15" ry="9"/>
        </g>
    }
}

/// The outline for one view, with small orientation labels (the child's right and left).
pub fn outline(view: BodyView) -> impl IntoView {
    let (viewer_left, viewer_right) = match view {
        BodyView::Front => ("R", "L"),
        BodyView::Back => ("L", "R"),
    };
    view! {
        <g aria-hidden="true">
            {shapes("outline-edge")}
            {shapes("outline-fill")}
            {(view == BodyView::Back).then(|| view! {
                <path class="outline-detail" d="M100 90 L100 196"/>
            })}
            <text class="outline-side" x="8" y="16">{viewer_left}</text>
            <text class="outline-side" x="184" y="16">{viewer_right}</text>
        </g>
    }
}

/// A numbered dot on an outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub number: usize,
    pub x: u16,
    pub y: u16,
    pub colour: &'static str,
    /// What the mark is, kept on the dot as `data-label` (the outline is one image to
    /// assistive technology; the numbered list beside it carries the words).
    pub label: String,
}

/// A dot's radius in outline units: room for a two-digit number at a legible size.
const DOT_R: f64 = 12.0;

/// Where each dot is drawn, in outline units. A dot that would cover an earlier one moves
/// round it (six places a ring, ring by ring), so marks in the same place stay distinguishable;
/// the marks' recorded positions are unchanged.
pub fn spread(dots: &[Dot]) -> Vec<(f64, f64)> {
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for d in dots {
        let (x, y) = (
            f64::from(d.x) * VB_W / 1000.0,
            f64::from(d.y) * VB_H / 1000.0,
        );
        let clear = |p: (f64, f64), placed: &[(f64, f64)]| {
            placed
                .iter()
                .all(|q| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt() >= 2.0 * DOT_R)
        };
        let mut at = (x, y);
        let mut k = 0u32;
        while !clear(at, &placed) && k < 36 {
            k += 1;
            let ring = f64::from(1 + (k - 1) / 6);
            let angle = f64::from(k) * std::f64::consts::PI / 3.0;
            at = (
                x + angle.cos() * 2.0 * DOT_R * ring,
                y + angle.sin() * 2.0 * DOT_R * ring,
            );
        }
        placed.push(at);
    }
    placed
}

pub fn dot(d: Dot, at: (f64, f64), testid: Option<&'static str>) -> impl IntoView {
    let (cx, cy) = at;
    view! {
        <g class="mark-dot" data-testid=testid data-label=d.label>
            <circle cx=cx cy=cy r=DOT_R fill=d.colour/>
            <text x=cx y=cy dy="0.35em" text-anchor="middle">{d.number}</text>
        </g>
    }
}

/// A read-only outline with dots, e.g. beside an observation.
#[component]
pub fn StaticOutline(
    view: BodyView,
    dots: Vec<Dot>,
    #[prop(optional)] mark_testid: Option<&'static str>,
    #[prop(into)] label: String,
) -> impl IntoView {
    view! {
        <figure class="body-outline static">
            <svg viewBox=VIEW_BOX preserveAspectRatio="none" role="img" aria-label=label>
                {outline(view)}
                {
                    let at = spread(&dots);
                    dots.into_iter().zip(at).map(|(d, at)| dot(d, at, mark_testid)).collect_view()
                }
            </svg>
            <figcaption>{view.label()}</figcaption>
        </figure>
    }
}

/// One line describing a mark: type, region, side, size, colour and note.
pub fn describe(m: &BodyMark) -> String {
    let mut parts = vec![format!(
        "{}: {}, {} ({})",
        m.kind.label(),
        if m.region.trim().is_empty() {
            "region not given"
        } else {
            m.region.trim()
        },
        m.side.label().to_lowercase(),
        m.view.label().to_lowercase()
    )];
    if !m.size.trim().is_empty() {
        parts.push(format!("size {}", m.size.trim()));
    }
    if !m.colour_age.trim().is_empty() {
        parts.push(format!("colour {}", m.colour_age.trim()));
    }
    if !m.note.trim().is_empty() {
        parts.push(m.note.trim().to_owned());
    }
    parts.join("; ")
}

/// The dots of `marks` on the `view` outline, numbered as the list beside it numbers them.
fn numbered_dots(marks: &[BodyMark], view: BodyView) -> Vec<Dot> {
    marks
        .iter()
        .enumerate()
        .filter(|(_, m)| m.view == view)
        .map(|(i, m)| Dot {
            number: i + 1,
            x: m.x,
            y: m.y,
            colour: DATE_COLOURS[0],
            label: format!("{}. {}", i + 1, describe(m)),
        })
        .collect()
}

/// The marks of one observation: an outline per view used, and a numbered list.
#[component]
pub fn ObservationMarks(marks: Vec<BodyMark>) -> impl IntoView {
    let outlines = [BodyView::Front, BodyView::Back]
        .into_iter()
        .filter(|v| marks.iter().any(|m| m.view == *v))
        .map(|v| {
            let dots = numbered_dots(&marks, v);
            let label = format!(
                "Body outline, {}, with {} mark(s)",
                v.label().to_lowercase(),
                dots.len()
            );
            view! { <StaticOutline view=v dots label/> }
        })
        .collect_view();
    view! {
        <div class="observation-marks">
            <h4>"Body map"</h4>
            <div class="outline-row">{outlines}</div>
            <ol class="mark-list">
                {marks.iter().map(|m| view! { <li>{describe(m)}</li> }).collect_view()}
            </ol>
        </div>
    }
}

/// The mark being described before it is added.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placing {
    view: BodyView,
    x: u16,
    y: u16,
}

/// The body map on the observation form: marks are placed by tapping the outline (or choosing a
/// region with the keyboard), described, then added to `marks`, which the form saves.
#[component]
pub fn BodyMapEditor(marks: RwSignal<Vec<BodyMark>>) -> impl IntoView {
    let current = RwSignal::new(BodyView::Front);
    let placing = RwSignal::new(None::<Placing>);
    let announce = RwSignal::new(String::new());
    let kind = RwSignal::new(MarkKind::Bruise);
    let region = RwSignal::new(String::new());
    let side = RwSignal::new(Side::Midline);
    let size = RwSignal::new(String::new());
    let colour = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let place_choice = RwSignal::new(String::from("0"));
    let error = RwSignal::new(None::<String>);

    let start = move |p: Placing, prefill_region: &str, prefill_side: Side| {
        placing.set(Some(p));
        kind.set(MarkKind::Bruise);
        region.set(prefill_region.to_owned());
        side.set(prefill_side);
        size.set(String::new());
        colour.set(String::new());
        note.set(String::new());
        error.set(None);
        announce.set(format!(
            "Mark placed on the {}: {}, {}. Describe it below, then add it.",
            p.view.label().to_lowercase(),
            prefill_region,
            prefill_side.label().to_lowercase()
        ));
    };

    let on_tap = move |ev: leptos::ev::MouseEvent| {
        let Some(svg) = document().get_element_by_id("body-map-svg") else {
            return;
        };
        let rect = svg.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return;
        }
        let x = to_pm(f64::from(ev.client_x()) - rect.left(), rect.width());
        let y = to_pm(f64::from(ev.client_y()) - rect.top(), rect.height());
        let view = current.get_untracked();
        let (r, s) = region_at(view, x, y);
        start(Placing { view, x, y }, r, s);
    };

    let place_by_keyboard = move |_| {
        let view = current.get_untracked();
        let all = places(view);
        let choice = place_choice.get_untracked();
        let index: usize = choice.parse().unwrap_or(0);
        if let Some(p) = all.get(index) {
            start(
                Placing {
                    view,
                    x: p.x,
                    y: p.y,
                },
                p.region,
                p.side,
            );
            // Straight on to describing it.
            focus("mark-kind");
        }
    };

    let add = move |_| {
        let Some(p) = placing.get_untracked() else {
            return;
        };
        let id = match platform::new_id() {
            Ok(id) => id,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let mark = BodyMark {
            id,
            view: p.view,
            x: p.x,
            y: p.y,
            region: region.get_untracked().trim().to_owned(),
            side: side.get_untracked(),
            kind: kind.get_untracked(),
            size: size.get_untracked().trim().to_owned(),
            colour_age: colour.get_untracked().trim().to_owned(),
            note: note.get_untracked().trim().to_owned(),
        };
        if [&mark.region, &mark.size, &mark.colour_age]
            .iter()
            .any(|t| t.len() > shared::record::MAX_SHORT_LEN)
        {
            error.set(Some(
                "The region, size and colour are each limited to 200 characters.".to_owned(),
            ));
            return;
        }
        let n = marks.with_untracked(Vec::len) + 1;
        announce.set(format!("Mark {n} added: {}.", describe(&mark)));
        marks.update(|m| m.push(mark));
        placing.set(None);
        error.set(None);
        // The editor is gone; keyboard users carry on from the next place to put a mark.
        focus("mark-place-region");
    };

    // Enter in a text box of the mark editor adds the mark instead of saving the observation.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            let in_input = ev
                .target()
                .and_then(|t| {
                    use wasm_bindgen::JsCast;
                    t.dyn_into::<web_sys::HtmlInputElement>().ok()
                })
                .is_some();
            if in_input {
                ev.prevent_default();
                add(());
            }
        }
    };

    let toggle = move |v: BodyView| {
        view! {
            <button
                type="button"
                class=move || if current.get() == v { "button toggle on" } else { "button secondary toggle" }
                aria-pressed=move || (current.get() == v).to_string()
                data-testid=format!("body-map-view-{}", v.code())
                id=format!("body-map-view-{}", v.code())
                // One Tab stop for the pair; the arrow keys move between them.
                tabindex=move || if current.get() == v { "0" } else { "-1" }
                on:click=move |_| {
                    current.set(v);
                    place_choice.set("0".to_owned());
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown") {
                        ev.prevent_default();
                        let other = if v == BodyView::Front { BodyView::Back } else { BodyView::Front };
                        current.set(other);
                        place_choice.set("0".to_owned());
                        focus(if other == BodyView::Front { "body-map-view-front" } else { "body-map-view-back" });
                    }
                }
            >
                {v.label()}
            </button>
        }
    };

    let svg = move || {
        let v = current.get();
        let dots = move || {
            let dots = marks.with(|all| numbered_dots(all, v));
            let at = spread(&dots);
            dots.into_iter()
                .zip(at)
                .map(|(d, at)| dot(d, at, None))
                .collect_view()
        };
        let pending = move || {
            placing.get().filter(|p| p.view == v).map(|p| {
                let cx = f64::from(p.x) * VB_W / 1000.0;
                let cy = f64::from(p.y) * VB_H / 1000.0;
                view! { <circle class="mark-pending" cx=cx cy=cy r="10"/> }
            })
        };
        view! {
            <svg
                id="body-map-svg"
                class="body-map-svg"
                data-testid=format!("body-map-{}", v.code())
                viewBox=VIEW_BOX
                preserveAspectRatio="none"
                role="img"
                aria-label=format!(
                    "Body outline, {}. Tap where the mark is, or choose a region below.",
                    v.label().to_lowercase()
                )
                on:click=on_tap
            >
                {outline(v)}
                {dots}
                {pending}
            </svg>
        }
    };

    let place_options = move || {
        places(current.get())
            .into_iter()
            .enumerate()
            .map(|(i, p)| view! { <option value=i.to_string()>{p.label}</option> })
            .collect_view()
    };

    let editor = move || {
        placing.get().map(|p| {
            let n = marks.with_untracked(Vec::len) + 1;
            view! {
                <fieldset class="mark-editor" on:keydown=on_keydown>
                    <legend>{format!("Describe mark {n} ({})", p.view.label().to_lowercase())}</legend>
                    <div class="field-row">
                        <SelectInput id="mark-kind" label="Type of mark" value=kind/>
                        <TextInput id="mark-region" label="Body region" value=region/>
                        <SelectInput id="mark-side" label="Side (the child's own)" value=side/>
                    </div>
                    <div class="field-row">
                        <TextInput id="mark-size" label="Size" value=size hint="e.g. 2 cm x 1 cm"/>
                        <TextInput id="mark-colour" label="Colour and apparent age" value=colour
                            hint="e.g. purple, looks fresh"/>
                    </div>
                    <TextArea id="mark-note" label="Description" value=note rows=2/>
                    <div role="alert" class="error-region">
                        {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                    </div>
                    <div class="form-actions">
                        <button type="button" class="button" data-testid="mark-add" on:click=move |_| add(())>"Add mark"</button>
                        <button type="button" class="button secondary" data-testid="mark-cancel"
                            on:click=move |_| {
                                placing.set(None);
                                announce.set("Mark not added.".to_owned());
                                focus("mark-place-region");
                            }>
                            "Cancel"
                        </button>
                    </div>
                </fieldset>
            }
        })
    };

    let list = move || {
        marks
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let id = m.id.clone();
                let text = describe(&m);
                view! {
                    <li data-testid="body-mark-item" class="body-mark-item">
                        <span class="mark-number" aria-hidden="true">{i + 1}</span>
                        <span class="mark-text">{format!("Mark {}: {text}", i + 1)}</span>
                        <button type="button" class="button secondary" data-testid="body-mark-remove"
                            aria-label=format!("Remove mark {}", i + 1)
                            on:click=move |_| {
                                marks.update(|all| all.retain(|x| x.id != id));
                                announce.set(format!("Mark {} removed.", i + 1));
                            }>
                            "Remove"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <fieldset class="body-map">
            <legend>"Body map"</legend>
            <p class="hint" id="body-map-hint">
                "For injuries or marks: tap where the mark is, or choose a region and press “Place mark”. Sides are the child's own: on the front view the child's right is on your left."
            </p>
            <div class="view-toggle" role="toolbar" aria-label="Which side of the body (arrow keys switch)">
                {toggle(BodyView::Front)}
                {toggle(BodyView::Back)}
            </div>
            <div class="body-map-layout">
                <div class="body-map-canvas">{svg}</div>
                <div class="body-map-side">
                    <div class="field place-by-region">
                        <label for="mark-place-region">"Place a mark at"</label>
                        <div class="inline-control">
                            <select id="mark-place-region" data-testid="mark-place-region"
                                prop:value=move || place_choice.get()
                                on:change=move |ev| place_choice.set(event_target_value(&ev))>
                                {place_options}
                            </select>
                            <button type="button" class="button secondary" data-testid="mark-place" on:click=place_by_keyboard>
                                "Place mark"
                            </button>
                        </div>
                    </div>
                    {editor}
                    <p class="visually-hidden" role="status" aria-live="polite">{move || announce.get()}</p>
                    <h3 class="marks-heading">{move || match marks.with(Vec::len) {
                        0 => "No marks added".to_owned(),
                        1 => "1 mark to save with this observation".to_owned(),
                        n => format!("{n} marks to save with this observation"),
                    }}</h3>
                    <ol class="body-mark-list">{list}</ol>
                </div>
            </div>
        </fieldset>
    }
}

/// A mark with the observation it came from, for the record's body map.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedMark {
    /// `YYYY-MM-DD`, the day the observation happened.
    pub date: String,
    pub author: String,
    pub mark: BodyMark,
}

/// Every mark from every (non-withdrawn) observation on both outlines, filtered by date, each
/// date in its own colour, with a numbered legend.
#[component]
pub fn BodyMapCompare(marks: Signal<Vec<DatedMark>>) -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let shown = move || {
        let (f, t) = (from.get(), to.get());
        marks.with(|all| {
            let dates: Vec<String> = {
                let mut d: Vec<String> = all.iter().map(|m| m.date.clone()).collect();
                d.sort();
                d.dedup();
                d
            };
            let colour_of = |date: &str| {
                let i = dates.iter().position(|d| d == date).unwrap_or(0);
                DATE_COLOURS[i % DATE_COLOURS.len()]
            };
            let mut out: Vec<(usize, &'static str, DatedMark)> = all
                .iter()
                .filter(|m| f.is_empty() || m.date.as_str() >= f.as_str())
                .filter(|m| t.is_empty() || m.date.as_str() <= t.as_str())
                .cloned()
                .map(|m| (0, colour_of(&m.date), m))
                .collect();
            out.sort_by(|a, b| a.2.date.cmp(&b.2.date));
            for (i, item) in out.iter_mut().enumerate() {
                item.0 = i + 1;
            }
            out
        })
    };
    let outlines = move || {
        let items = shown();
        [BodyView::Front, BodyView::Back]
            .into_iter()
            .map(|v| {
                let dots: Vec<Dot> = items
                    .iter()
                    .filter(|(_, _, m)| m.mark.view == v)
                    .map(|(n, colour, m)| Dot {
                        number: *n,
                        x: m.mark.x,
                        y: m.mark.y,
                        colour,
                        label: format!("{n}. {}: {}", show(&m.date), describe(&m.mark)),
                    })
                    .collect();
                let label = format!(
                    "Body outline, {}, with {} mark(s)",
                    v.label().to_lowercase(),
                    dots.len()
                );
                view! { <StaticOutline view=v dots label mark_testid="body-map-mark"/> }
            })
            .collect_view()
    };
    let legend = move || {
        let items = shown();
        if items.is_empty() {
            return view! { <p class="notice">"No marks recorded in these dates."</p> }.into_any();
        }
        view! {
            <div class="table-scroll">
            <table class="legend">
                <caption class="visually-hidden">"Marks shown on the outlines"</caption>
                <thead><tr>
                    <th scope="col">"No."</th><th scope="col">"Date"</th><th scope="col">"Type"</th>
                    <th scope="col">"Region"</th><th scope="col">"Details"</th><th scope="col">"Recorded by"</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|(n, colour, m)| {
                        let mut details = Vec::new();
                        if !m.mark.size.is_empty() { details.push(format!("size {}", m.mark.size)); }
                        if !m.mark.colour_age.is_empty() { details.push(m.mark.colour_age.clone()); }
                        if !m.mark.note.is_empty() { details.push(m.mark.note.clone()); }
                        view! {
                            <tr data-testid="body-map-legend-item">
                                <td><span class="swatch" style=format!("background:{colour}")>{n}</span></td>
                                <td>{show(&m.date)}</td>
                                <td>{m.mark.kind.label()}</td>
                                <td>{format!("{} ({}, {})", m.mark.region, m.mark.side.label().to_lowercase(), m.mark.view.label().to_lowercase())}</td>
                                <td>{details.join("; ")}</td>
                                <td>{m.author}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        }
        .into_any()
    };
    view! {
        <div class="field-row body-map-filter">
            <div class="field">
                <label for="body-map-from">"From"</label>
                <input id="body-map-from" type="date" data-testid="body-map-from"
                    prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))
                    on:change=move |ev| from.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="body-map-to">"To"</label>
                <input id="body-map-to" type="date" data-testid="body-map-to"
                    prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))
                    on:change=move |ev| to.set(event_target_value(&ev))/>
            </div>
        </div>
        <p class="hint">"Each date has its own colour; numbers match the table."</p>
        <div class="outline-row compare">{outlines}</div>
        {legend}
    }
}

fn show(date: &str) -> String {
    platform::format_occurred(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(view: BodyView, x: u16, y: u16, region: &str, side: Side) {
        assert_eq!(region_at(view, x, y), (region, side), "{view:?} {x},{y}");
    }

    #[test]
    fn marks_in_the_same_place_are_drawn_apart() {
        let d = |n: usize| Dot {
            number: n,
            x: 500,
            y: 300,
            colour: "#000",
            label: String::new(),
        };
        let dots: Vec<Dot> = (1..=8).map(d).collect();
        let at = spread(&dots);
        assert_eq!(
            at[0],
            (100.0, 120.0),
            "the first stays where it was recorded"
        );
        for (i, a) in at.iter().enumerate() {
            for b in &at[i + 1..] {
                let gap = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                assert!(gap >= 2.0 * DOT_R - 1e-9, "{a:?} and {b:?} overlap");
            }
        }
    }

    #[test]
    fn regions_and_sides() {
        // The middle of the chest, and either side of it.
        check(BodyView::Front, 500, 320, "Chest", Side::Midline);
        check(BodyView::Front, 400, 320, "Chest", Side::Right);
        check(BodyView::Back, 400, 320, "Upper back", Side::Left);
        check(BodyView::Front, 500, 110, "Face", Side::Midline);
        check(BodyView::Back, 500, 110, "Back of head", Side::Midline);
        check(BodyView::Back, 400, 520, "Buttocks", Side::Left);
        check(BodyView::Front, 175, 545, "Hand", Side::Right);
        check(BodyView::Front, 830, 300, "Upper arm", Side::Left);
        check(BodyView::Front, 410, 940, "Foot", Side::Right);
        check(BodyView::Back, 410, 800, "Calf", Side::Left);
    }

    #[test]
    fn keyboard_places_match_the_lookup() {
        for view in [BodyView::Front, BodyView::Back] {
            let all = places(view);
            assert!(all.len() > 20);
            for p in all {
                let (region, side) = region_at(view, p.x, p.y);
                assert_eq!((region, side), (p.region, p.side), "{view:?} {}", p.label);
            }
        }
    }
}
