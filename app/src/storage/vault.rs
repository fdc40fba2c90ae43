//! Encryption of everything the tablet stores, with the browser's Web Crypto.
//!
//! A random AES-256-GCM *data key* encrypts every value in IndexedDB. The data key is stored
//! only wrapped (AES-GCM) by a *key-encryption key* derived from the user's password with
//! PBKDF2-SHA256 (600,000 iterations, 16-byte random salt). Unlocking derives the
//! key-encryption key again and unwraps the data key; a wrong password fails GCM's
//! authentication, so there is no password check value to attack offline.
//!
//! Each stored value is `nonce (12 bytes) || ciphertext || tag`, with a fresh random nonce, and
//! the object store and key it belongs under as additional authenticated data, so a value moved
//! to another child's key does not decrypt. The data key lives only in memory while unlocked.

use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::platform;

/// PBKDF2-SHA256 iterations for new wraps (OWASP 2023 guidance for PBKDF2-HMAC-SHA256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
const NONCE_LEN: usize = 12;
const SALT_LEN: usize = 16;

/// The wrapped data key and how to unwrap it; stored in clear (it reveals nothing without the
/// password), together with who it belongs to so the lock screen can greet them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultHeader {
    pub user_id: String,
    pub username: String,
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub nonce: Vec<u8>,
    pub wrapped_key: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the password is not right")]
    WrongPassword,
    #[error("stored data could not be decrypted")]
    Undecryptable,
    #[error("this browser cannot encrypt: {0}")]
    Crypto(String),
}

/// The unlocked data key.
#[derive(Debug, Clone)]
pub struct Vault {
    key: CryptoKey,
}

fn subtle() -> Result<SubtleCrypto, VaultError> {
    let crypto = web_sys::window()
        .ok_or_else(|| VaultError::Crypto("no window".into()))?
        .crypto()
        .map_err(|_| VaultError::Crypto("no Web Crypto".into()))?;
    Ok(crypto.subtle())
}

fn crypto_error(what: &str) -> impl Fn(JsValue) -> VaultError + '_ {
    move |_| VaultError::Crypto(what.to_owned())
}

fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|u| JsValue::from_str(u))
        .collect::<Array>()
        .into()
}

fn aes_gcm(nonce: &[u8], aad: Option<&[u8]>) -> Object {
    let mut pairs = vec![
        ("name", JsValue::from_str("AES-GCM")),
        ("iv", Uint8Array::from(nonce).into()),
    ];
    if let Some(aad) = aad {
        pairs.push(("additionalData", Uint8Array::from(aad).into()));
    }
    object(&pairs)
}

fn aes_256() -> Object {
    object(&[
        ("name", JsValue::from_str("AES-GCM")),
        ("length", JsValue::from_f64(256.0)),
    ])
}

async fn resolve(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

fn bytes_of(value: JsValue) -> Vec<u8> {
    Uint8Array::new(&value).to_vec()
}

fn random(n: usize) -> Result<Vec<u8>, VaultError> {
    platform::random_bytes(n).map_err(VaultError::Crypto)
}

/// Derives the key-encryption key from the password.
async fn key_encryption_key(
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<CryptoKey, VaultError> {
    let subtle = subtle()?;
    let material = Uint8Array::from(password.as_bytes());
    let base = subtle
        .import_key_with_object(
            "raw",
            &material,
            &object(&[("name", JsValue::from_str("PBKDF2"))]),
            false,
            &usages(&["deriveKey"]),
        )
        .map_err(crypto_error("importing the password"))?;
    let base: CryptoKey = resolve(base)
        .await
        .map_err(crypto_error("importing the password"))?
        .unchecked_into();
    let params = object(&[
        ("name", JsValue::from_str("PBKDF2")),
        ("hash", JsValue::from_str("SHA-256")),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", JsValue::from_f64(f64::from(iterations))),
    ]);
    let derived = subtle
        .derive_key_with_object_and_object(
            &params,
            &base,
            &aes_256(),
            false,
            &usages(&["wrapKey", "unwrapKey"]),
        )
        .map_err(crypto_error("deriving the key"))?;
    Ok(resolve(derived)
        .await
        .map_err(crypto_error("deriving the key"))?
        .unchecked_into())
}

impl Vault {
    /// A new random data key.
    pub async fn create() -> Result<Vault, VaultError> {
        let subtle = subtle()?;
        // Extractable only so a later sign-in can wrap it under a changed password; it never
        // leaves memory unwrapped.
        let promise = subtle
            .generate_key_with_object(&aes_256(), true, &usages(&["encrypt", "decrypt"]))
            .map_err(crypto_error("creating the key"))?;
        let key: CryptoKey = resolve(promise)
            .await
            .map_err(crypto_error("creating the key"))?
            .unchecked_into();
        Ok(Vault { key })
    }

    /// Wraps this data key under `password` for `user`, with a fresh salt and nonce.
    pub async fn wrap(
        &self,
        password: &str,
        user_id: &str,
        username: &str,
    ) -> Result<VaultHeader, VaultError> {
        let salt = random(SALT_LEN)?;
        let nonce = random(NONCE_LEN)?;
        let kek = key_encryption_key(password, &salt, PBKDF2_ITERATIONS).await?;
        let promise = subtle()?
            .wrap_key_with_object("raw", &self.key, &kek, &aes_gcm(&nonce, None))
            .map_err(crypto_error("wrapping the key"))?;
        let wrapped = resolve(promise)
            .await
            .map_err(crypto_error("wrapping the key"))?;
        Ok(VaultHeader {
            user_id: user_id.to_owned(),
            username: username.to_owned(),
            salt,
            iterations: PBKDF2_ITERATIONS,
            nonce,
            wrapped_key: bytes_of(wrapped),
        })
    }

    /// Unwraps the data key with `password`.
    pub async fn unlock(header: &VaultHeader, password: &str) -> Result<Vault, VaultError> {
        let kek = key_encryption_key(password, &header.salt, header.iterations).await?;
        let wrapped = Uint8Array::from(header.wrapped_key.as_slice());
        let promise = subtle()?
            .unwrap_key_with_js_u8_array_and_object_and_object(
                "raw",
                &wrapped,
                &kek,
                &aes_gcm(&header.nonce, None),
                &object(&[("name", JsValue::from_str("AES-GCM"))]),
                true,
                &usages(&["encrypt", "decrypt"]),
            )
            .map_err(crypto_error("unwrapping the key"))?;
        // GCM authentication fails for a wrong password: that is the only expected failure.
        let key = resolve(promise)
            .await
            .map_err(|_| VaultError::WrongPassword)?;
        Ok(Vault {
            key: key.unchecked_into(),
        })
    }

    /// Encrypts `plain`, bound to `aad` (the object store and key it is stored under).
    pub async fn seal(&self, aad: &str, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce = random(NONCE_LEN)?;
        let promise = subtle()?
            .encrypt_with_object_and_u8_array(
                &aes_gcm(&nonce, Some(aad.as_bytes())),
                &self.key,
                plain,
            )
            .map_err(crypto_error("encrypting"))?;
        let sealed = resolve(promise).await.map_err(crypto_error("encrypting"))?;
        let mut out = nonce;
        out.extend_from_slice(&bytes_of(sealed));
        Ok(out)
    }

    /// Decrypts what [`Vault::seal`] produced for the same `aad`.
    pub async fn open(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(VaultError::Undecryptable);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let promise = subtle()?
            .decrypt_with_object_and_u8_array(
                &aes_gcm(nonce, Some(aad.as_bytes())),
                &self.key,
                body,
            )
            .map_err(|_| VaultError::Undecryptable)?;
        let plain = resolve(promise)
            .await
            .map_err(|_| VaultError::Undecryptable)?;
        Ok(bytes_of(plain))
    }
}
