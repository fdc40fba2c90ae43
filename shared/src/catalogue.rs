//! The indicator catalogue: signs and symptoms of abuse and neglect, written in our own words
//! and grouped the way public clinical guidance groups them.
//!
//! The catalogue is versioned data. Codes are stable forever: an observation recorded against
//! a code years ago must still resolve, so codes are never reused or renamed, only added.

use serde::{Deserialize, Serialize};

/// Version of the catalogue data below; bump when entries are added.
pub const CATALOGUE_VERSION: u32 = 3;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    autosurgeon::Reconcile,
    autosurgeon::Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Physical,
    Sexual,
    Emotional,
    Neglect,
    Behaviour,
    ParentChildInteraction,
}

crate::choice::choice!(Category {
    Physical = "physical",
    Sexual = "sexual",
    Emotional = "emotional",
    Neglect = "neglect",
    Behaviour = "behaviour",
    ParentChildInteraction = "parent_child_interaction",
});

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Physical => "Physical",
            Category::Sexual => "Sexual",
            Category::Emotional => "Emotional",
            Category::Neglect => "Neglect",
            Category::Behaviour => "Behavioural presentation",
            Category::ParentChildInteraction => "Parent-child interaction",
        }
    }
}

/// The three facets of the CSA Centre's signs and indicators template: what is seen in the
/// child, what is known about an adult, and what is known about the family and its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    ChildSign,
    AdultIndicator,
    FamilyFactor,
}

impl Facet {
    pub const ALL: [Facet; 3] = [Facet::ChildSign, Facet::AdultIndicator, Facet::FamilyFactor];

    pub fn label(self) -> &'static str {
        match self {
            Facet::ChildSign => "Signs in the child",
            Facet::AdultIndicator => "Indicators about an adult",
            Facet::FamilyFactor => "Family and context",
        }
    }
}

/// One sign or symptom practitioners can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Indicator {
    pub code: &'static str,
    pub label: &'static str,
    pub category: Category,
    pub description: &'static str,
    /// Other categories it also counts toward (a child's harmful sexual behaviour is also a
    /// possible sign of their own sexual abuse).
    pub also_counts: &'static [Category],
    /// Behaviour that harms other children: raises the harm-to-others flag.
    pub harms_others: bool,
    pub facet: Facet,
}

const fn ind(
    code: &'static str,
    category: Category,
    label: &'static str,
    description: &'static str,
) -> Indicator {
    Indicator {
        code,
        label,
        category,
        description,
        also_counts: &[],
        harms_others: false,
        facet: match category {
            Category::ParentChildInteraction => Facet::AdultIndicator,
            _ => Facet::ChildSign,
        },
    }
}

/// An indicator of the `facet` other than its category's usual one.
const fn with_facet(i: Indicator, facet: Facet) -> Indicator {
    Indicator { facet, ..i }
}

use Category::*;

/// The starter catalogue.
pub const INDICATORS: &[Indicator] = &[
    ind("PHY-BRUISE-IMMOBILE", Physical, "Bruising on a child who is not yet mobile",
        "Any bruise on a baby or child who cannot yet move about independently."),
    ind("PHY-BRUISE-PATTERN", Physical, "Bruise shaped like a hand, implement or bite",
        "A mark whose outline suggests an object, fingers, a slap or teeth."),
    ind("PHY-BRUISE-SOFT", Physical, "Clustered bruises on soft or protected areas",
        "Bruises grouped on the face, ears, neck, buttocks, abdomen or inner arms."),
    ind("PHY-BURN-UNEXPLAINED", Physical, "Burn or scald without a suitable explanation",
        "Including marks shaped like a cigarette, iron or immersion line."),
    ind("PHY-FRACTURE-INFANT", Physical, "Fracture in a child under one",
        "Any fracture in an infant, or fractures of different ages."),
    ind("PHY-INJURY-STAGES", Physical, "Injuries at different stages of healing",
        "Several injuries that look as if they happened at different times."),
    ind("SEX-BEHAVIOUR", Sexual, "Sexualised behaviour beyond the child's age",
        "Sexual behaviour that is repeated, coercive, or not expected at the child's stage."),
    ind("SEX-KNOWLEDGE", Sexual, "Sexual knowledge beyond the child's age",
        "Talk, play or drawings showing sexual knowledge a child of this age would not have."),
    ind("SEX-ANOGENITAL", Sexual, "Anogenital injury or persistent symptoms",
        "Soreness, bleeding, discharge or injury with no suitable medical explanation."),
    ind("SEX-STI-PREGNANCY", Sexual, "Sexually transmitted infection or pregnancy in a young child",
        "Any such diagnosis in a child under 13, or without a credible explanation in an older child."),
    ind("SEX-SECRECY-GIFTS", Sexual, "Secrecy about new friends, gifts or money",
        "Unexplained gifts, phones, money or older 'friends' the child will not talk about."),
    ind("EMO-LOW-ESTEEM", Emotional, "Very low self-esteem",
        "The child describes themself as bad, worthless or to blame."),
    ind("EMO-FROZEN-WATCHFUL", Emotional, "Frozen watchfulness or anxious to please",
        "The child is unusually still, watchful of adults, or desperate to comply."),
    ind("EMO-WITHDRAWN", Emotional, "Withdrawn",
        "Persistently quiet, flat or disengaged compared with what is expected."),
    ind("NEG-HUNGRY-TIRED", Neglect, "Persistently hungry or tired",
        "Asks for or takes food, hoards it, or is often exhausted."),
    ind("NEG-HYGIENE", Neglect, "Poor hygiene",
        "Persistently dirty, smelly, infested or with untreated nappy rash."),
    ind("NEG-CLOTHING", Neglect, "Clothing unsuitable for the weather",
        "No coat in winter, wet or ill-fitting clothes and shoes."),
    ind("NEG-MISSED-HEALTH", Neglect, "Untreated illness or missed health appointments",
        "Medical, dental or developmental care not sought or not followed up."),
    ind("NEG-UNSUPERVISED", Neglect, "Left unsupervised for their age",
        "Left alone, or in the care of someone too young or unfit to care for them."),
    with_facet(ind("NEG-HOME-CONDITIONS", Neglect, "Home conditions unsafe or unsanitary",
        "Hazards within reach, no working heating, rotting food, animal waste."), Facet::FamilyFactor),
    ind("BEH-AGGRESSION", Behaviour, "Aggression",
        "Repeated violent or aggressive behaviour towards others."),
    ind("BEH-SELF-HARM", Behaviour, "Self-harm",
        "Cutting, burning, overdose or other deliberate self-injury."),
    ind("BEH-RUNNING-AWAY", Behaviour, "Running away or missing episodes",
        "The child goes missing from home or care."),
    Indicator {
        also_counts: &[Sexual],
        harms_others: true,
        ..ind("BEH-HARMFUL-SEXUAL", Behaviour, "Harmful sexual behaviour towards others",
            "Sexual behaviour towards siblings or peers that is coercive or age-inappropriate.")
    },
    ind("PCI-HOSTILE", ParentChildInteraction, "Carer hostile or rejecting",
        "The carer speaks to or about the child with contempt, blame or rejection."),
    ind("PCI-UNREALISTIC", ParentChildInteraction, "Carer expects too much for the child's age",
        "Demands or punishments that do not fit the child's stage of development."),
    ind("PCI-UNRESPONSIVE", ParentChildInteraction, "Carer unresponsive to the child's needs",
        "The child's distress or bids for attention are ignored."),
    ind("PHY-BRUISE-EARS-NECK", Physical, "Bruising on the ears, neck or jaw",
        "Marks in places children rarely injure in ordinary falls or play."),
    ind("PHY-PETECHIAE", Physical, "Petechiae or marks suggesting strangulation or squeezing",
        "Pin-point red spots on the face, eyes or neck, or grip marks on the arms or chest."),
    ind("PHY-LIGATURE", Physical, "Ligature or binding marks",
        "Linear marks around wrists, ankles or neck suggesting restraint."),
    ind("PHY-HEAD-INJURY-INFANT", Physical, "Head injury or unexplained drowsiness in an infant",
        "Any head injury, bulging fontanelle, vomiting or floppiness in a baby without a clear cause."),
    ind("PHY-BITE-ADULT", Physical, "Human bite mark",
        "An oval or crescent bite mark of adult size."),
    ind("PHY-DELAY-SEEKING-CARE", Physical, "Delay in seeking care for an injury",
        "An injury that was not brought to medical attention when a caring adult would have."),
    ind("PHY-EXPLANATION-CHANGES", Physical, "Explanation inconsistent or changing",
        "The account of how an injury happened changes, differs between carers, or does not fit the injury."),
    ind("PHY-POISONING", Physical, "Unexplained poisoning or ingestion",
        "Alcohol, drugs or medicines found in the child without a credible accidental explanation."),
    ind("SEX-DISCLOSURE-PARTIAL", Sexual, "Hints or partial statements about sexual harm",
        "Indirect remarks, drawings or play that suggest something sexual has happened, without a full account."),
    ind("SEX-FEAR-PERSON-PLACE", Sexual, "Fear of a particular person or place",
        "Reluctance to be alone with someone, or distress about going somewhere, without a clear reason."),
    with_facet(ind("SEX-OLDER-PARTNER", Sexual, "Relationship with a much older person",
        "An adolescent in a relationship with an adult, or with someone who has power over them."), Facet::AdultIndicator),
    ind("SEX-ONLINE-CONTACT", Sexual, "Concerning online contact",
        "Requests for images, secret chats or meetings arranged with people met online."),
    ind("SEX-EXPLOITATION-SIGNS", Sexual, "Signs of sexual exploitation",
        "Going missing, unexplained money, alcohol or drugs, lifts from unknown adults, new clothes or phones."),
    ind("SEX-RECURRENT-INFECTION", Sexual, "Recurrent urinary infections or dysuria",
        "Repeated urinary symptoms without a medical explanation."),
    ind("SEX-BEDWETTING-REGRESSION", Sexual, "Sudden regression, bedwetting or soiling",
        "Loss of toileting skills or other regression with no other explanation."),
    ind("EMO-SELF-BLAME", Emotional, "Child blames themself for the family's problems",
        "The child takes responsibility for adults' conflict, violence or unhappiness."),
    with_facet(ind("EMO-DOMESTIC-ABUSE", Emotional, "Exposure to domestic abuse",
        "The child sees or hears violence, threats or coercive control between adults."), Facet::FamilyFactor),
    ind("EMO-SCAPEGOATED", Emotional, "Child singled out or scapegoated",
        "One child treated worse than siblings, blamed or excluded."),
    ind("EMO-PARENTIFIED", Emotional, "Child caring for adults or siblings beyond their age",
        "Inappropriate caring responsibilities, adult worries, missing school to care."),
    ind("EMO-DISTRESS-CONTACT", Emotional, "Distress before or after contact with an adult",
        "Marked anxiety, clinginess or anger around seeing a particular adult."),
    ind("EMO-NO-COMFORT-SEEKING", Emotional, "Does not seek comfort when hurt or upset",
        "The child does not turn to carers for comfort, or seeks it indiscriminately from strangers."),
    ind("NEG-FAILURE-TO-THRIVE", Neglect, "Faltering growth without medical cause",
        "Weight or growth falling across centiles that improves when the child is cared for elsewhere."),
    ind("NEG-DENTAL", Neglect, "Untreated tooth decay",
        "Obvious decay, pain or abscesses that have not been treated."),
    ind("NEG-SCHOOL-ATTENDANCE", Neglect, "Poor or erratic school attendance",
        "Frequent unexplained absence or lateness, or not registered with a school."),
    ind("NEG-DEVELOPMENT-DELAY", Neglect, "Developmental delay linked to lack of stimulation",
        "Speech, play or motor skills behind what is expected, improving with stimulation."),
    with_facet(ind("NEG-CARER-SUBSTANCE", Neglect, "Carer incapacitated by alcohol or drugs",
        "A carer too intoxicated to supervise or respond to the child."), Facet::AdultIndicator),
    with_facet(ind("NEG-NO-SAFE-SLEEP", Neglect, "No safe place to sleep",
        "No bed or cot, shared unsafe sleeping, or bedding soiled or infested."), Facet::FamilyFactor),
    ind("NEG-MEDICATION", Neglect, "Prescribed treatment not given",
        "Medication, therapy or equipment for a known condition not given or used."),
    with_facet(ind("NEG-DANGERS-ACCESSIBLE", Neglect, "Dangerous items within reach",
        "Drugs, needles, weapons, chemicals or unsafe animals accessible to the child."), Facet::FamilyFactor),
    ind("BEH-SUBSTANCE-MISUSE", Behaviour, "Alcohol or drug use by the child",
        "Use at an early age, or in a way that puts the child at risk."),
    ind("BEH-SLEEP-NIGHTMARES", Behaviour, "Persistent sleep problems or nightmares",
        "New or persistent difficulty sleeping, night terrors, fear of the dark or of bedtime."),
    ind("BEH-SCHOOL-DECLINE", Behaviour, "Sudden change in behaviour or school work",
        "A marked drop in attainment, concentration or behaviour at school."),
    ind("BEH-CRIMINAL-EXPLOITATION", Behaviour, "Signs of criminal exploitation",
        "Carrying drugs or weapons, unexplained travel, new older associates, debts."),
    ind("BEH-EATING", Behaviour, "Disordered eating",
        "Restricting, bingeing, hiding food or vomiting after meals."),
    ind("BEH-CRUELTY-ANIMALS", Behaviour, "Cruelty to animals",
        "Deliberately harming pets or other animals."),
    ind("PCI-ROUGH-HANDLING", ParentChildInteraction, "Rough handling or harsh punishment",
        "The carer handles the child roughly, or uses physical punishment or threats."),
    ind("PCI-NEGATIVE-ATTRIBUTIONS", ParentChildInteraction, "Carer describes the child in negative terms",
        "The child is called bad, evil, spiteful or the cause of the carer's problems."),
    ind("PCI-CHILD-FEARFUL", ParentChildInteraction, "Child fearful or watchful around the carer",
        "The child freezes, flinches or becomes silent when the carer is present."),
    ind("PCI-PRIORITISES-ADULT", ParentChildInteraction, "Carer puts own needs before the child's",
        "Adult needs (a partner, substances, phone) consistently come before the child's basic care."),
    ind("PCI-INCONSISTENT", ParentChildInteraction, "Inconsistent or unpredictable care",
        "The carer swings between warmth and rejection, so the child cannot predict their response."),
    ind("PCI-DISGUISED-COMPLIANCE", ParentChildInteraction, "Carer agrees to plans but nothing changes",
        "Apparent cooperation with professionals without any change for the child."),
    with_facet(ind("SEX-ADULT-BOUNDARIES", Sexual, "An adult who ignores boundaries with the child",
        "Seeks time alone with the child, secrecy, sleeping or bathing arrangements, gifts or favours."),
        Facet::AdultIndicator),
    with_facet(ind("SEX-ADULT-OFFENCE", Sexual, "An adult with a sexual offence or allegation in contact",
        "A person convicted of, or alleged to have committed, a sexual offence has contact with the child."),
        Facet::AdultIndicator),
    with_facet(ind("SEX-FAMILY-CONTEXT", Sexual, "Family or context where sexual abuse has happened before",
        "Previous sexual abuse in the family, or a sibling or parent who was abused, with risks unaddressed."),
        Facet::FamilyFactor),
    ind("PCI-PREVENTS-ACCESS", ParentChildInteraction, "Carer prevents professionals seeing the child",
        "Missed visits, the child unavailable, or the child not seen alone."),
];

/// Looks an indicator up by its stable code.
pub fn find(code: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.code == code)
}

/// Indicators in one category, in catalogue order.
pub fn in_category(category: Category) -> impl Iterator<Item = &'static Indicator> {
    INDICATORS.iter().filter(move |i| i.category == category)
}

/// Words too common in narratives and descriptions to suggest anything.
const STOPWORDS: &[&str] = &[
    "about", "after", "again", "also", "been", "before", "being", "child", "could", "from", "have",
    "into", "just", "like", "more", "only", "over", "said", "says", "seen", "some", "than", "that",
    "their", "them", "then", "there", "they", "this", "very", "want", "were", "what", "when",
    "where", "which", "while", "with", "would", "your",
];

/// The stem two words are compared by: lowercase, its first five letters.
fn stems(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 4 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// Indicators the words of `narrative` point to, best first (most shared word stems with the
/// indicator's label and description, then catalogue order); at most `max`. A suggestion is
/// only a prompt: the practitioner ticks what applies.
pub fn suggest(narrative: &str, max: usize) -> Vec<&'static Indicator> {
    let words = stems(narrative);
    if words.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, usize, &'static Indicator)> = INDICATORS
        .iter()
        .enumerate()
        .filter_map(|(i, ind)| {
            let own = stems(&format!("{} {}", ind.label, ind.description));
            let score = own.iter().filter(|w| words.contains(w)).count();
            (score > 0).then_some((score, i, ind))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(max)
        .map(|(_, _, ind)| ind)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_prefixed_by_category() {
        let mut seen = HashSet::new();
        for i in INDICATORS {
            assert!(seen.insert(i.code), "duplicate code {}", i.code);
            let prefix = match i.category {
                Physical => "PHY-",
                Sexual => "SEX-",
                Emotional => "EMO-",
                Neglect => "NEG-",
                Behaviour => "BEH-",
                ParentChildInteraction => "PCI-",
            };
            assert!(
                i.code.starts_with(prefix),
                "{} should start {prefix}",
                i.code
            );
            assert!(!i.label.is_empty() && !i.description.is_empty());
        }
    }

    #[test]
    fn every_category_has_entries() {
        for &c in <Category as crate::choice::Choice>::ALL {
            assert!(in_category(c).count() >= 3, "{c:?}");
        }
        assert_eq!(find("SEX-KNOWLEDGE").map(|i| i.category), Some(Sexual));
        assert!(find("NOPE").is_none());
        assert!(INDICATORS.len() >= 60, "catalogue has {}", INDICATORS.len());
    }

    #[test]
    fn narrative_words_suggest_indicators() {
        let codes = |text: &str| suggest(text, 5).iter().map(|i| i.code).collect::<Vec<_>>();
        assert!(
            codes("A bruise on her upper arm shaped like a hand").contains(&"PHY-BRUISE-PATTERN")
        );
        assert!(codes("He was hungry and very tired at school").contains(&"NEG-HUNGRY-TIRED"));
        assert!(codes("xyzzy plugh").is_empty());
        assert!(codes("").is_empty());
        assert!(suggest("bruise bruising bruised burn scald", 3).len() <= 3);
    }
}
