//! Drafts: what a form holds while it is being typed, sealed like every record and kept in the
//! `meta` store under `draft:<form key>` until the form is saved or the draft discarded. Erased
//! with everything else at sign-out; never sent to the server.

use std::collections::BTreeMap;

use indexed_db_futures::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Result, Store, META};

/// One form's typed values by field name, and when they were last typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub saved_at_ms: f64,
    pub fields: BTreeMap<String, serde_json::Value>,
}

fn key(form: &str) -> String {
    format!("draft:{form}")
}

impl Store {
    pub async fn draft(&self, form: &str) -> Result<Option<Draft>> {
        self.get_json(META, &key(form)).await
    }

    pub async fn put_draft(&self, form: &str, draft: &Draft) -> Result<()> {
        self.put_json(META, &key(form), draft).await
    }

    pub async fn delete_draft(&self, form: &str) -> Result<()> {
        let tx = self.write(&[META])?;
        tx.object_store(META)?
            .delete(key(form).as_str())
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
