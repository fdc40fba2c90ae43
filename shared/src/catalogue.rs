//! The indicator catalogue: signs and symptoms of abuse and neglect, written in our own words
//! and grouped the way public clinical guidance groups them.
//!
//! The catalogue is versioned data. Codes are stable forever: an observation recorded against
//! a code years ago must still resolve, so codes are never reused or renamed, only added.

use serde::{Deserialize, Serialize};

/// Version of the catalogue data below; bump when entries are added.
pub const CATALOGUE_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Physical,
    Sexual,
    Emotional,
    Neglect,
    Behaviour,
    ParentChildInteraction,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Physical,
        Category::Sexual,
        Category::Emotional,
        Category::Neglect,
        Category::Behaviour,
        Category::ParentChildInteraction,
    ];

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

/// One sign or symptom practitioners can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Indicator {
    pub code: &'static str,
    pub label: &'static str,
    pub category: Category,
    pub description: &'static str,
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
    }
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
    ind("NEG-HOME-CONDITIONS", Neglect, "Home conditions unsafe or unsanitary",
        "Hazards within reach, no working heating, rotting food, animal waste."),
    ind("BEH-AGGRESSION", Behaviour, "Aggression",
        "Repeated violent or aggressive behaviour towards others."),
    ind("BEH-SELF-HARM", Behaviour, "Self-harm",
        "Cutting, burning, overdose or other deliberate self-injury."),
    ind("BEH-RUNNING-AWAY", Behaviour, "Running away or missing episodes",
        "The child goes missing from home or care."),
    ind("BEH-HARMFUL-SEXUAL", Behaviour, "Harmful sexual behaviour towards others",
        "Sexual behaviour towards siblings or peers that is coercive or age-inappropriate."),
    ind("PCI-HOSTILE", ParentChildInteraction, "Carer hostile or rejecting",
        "The carer speaks to or about the child with contempt, blame or rejection."),
    ind("PCI-UNREALISTIC", ParentChildInteraction, "Carer expects too much for the child's age",
        "Demands or punishments that do not fit the child's stage of development."),
    ind("PCI-UNRESPONSIVE", ParentChildInteraction, "Carer unresponsive to the child's needs",
        "The child's distress or bids for attention are ignored."),
];

/// Looks an indicator up by its stable code.
pub fn find(code: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.code == code)
}

/// Indicators in one category, in catalogue order.
pub fn in_category(category: Category) -> impl Iterator<Item = &'static Indicator> {
    INDICATORS.iter().filter(move |i| i.category == category)
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
            assert!(i.code.starts_with(prefix), "{} should start {prefix}", i.code);
            assert!(!i.label.is_empty() && !i.description.is_empty());
        }
    }

    #[test]
    fn every_category_has_entries() {
        for c in Category::ALL {
            assert!(in_category(c).count() >= 3, "{c:?}");
        }
        assert_eq!(find("SEX-KNOWLEDGE").map(|i| i.category), Some(Sexual));
        assert!(find("NOPE").is_none());
    }
}
