//! Files a session offers for download. `web-terminal download FILE`, run in the session, asks
//! the server through the control socket; the server notes the file under a random id, which a
//! client of that session may fetch once, within [`OFFER_LIFETIME`], if it may type there (the
//! owner or a `write` share; never a `view` share). Output cannot forge an offer: offers are
//! made only by processes of the session's terminal, and fetched only by an id nobody can guess.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::events::Direction;
use super::transfer::TransferError;
use super::{Requester, Role, SessionError, SessionEvent, SessionId, SessionRegistry};

/// How long an offer may wait for its download.
const OFFER_LIFETIME: Duration = Duration::from_secs(600);
/// Most offers waiting per session; a new one beyond it drops the oldest.
const MAX_WAITING: usize = 16;

/// A file offered for download, as the offering command and the browser learn of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offer {
    /// Fetches it, once.
    pub(crate) id: String,
    /// The file's name (its last path component).
    pub(crate) name: String,
    pub(crate) bytes: u64,
}

/// An offer the server keeps until it is fetched or expires.
#[derive(Debug)]
struct Waiting {
    session: SessionId,
    path: PathBuf,
    offer: Offer,
    made: Instant,
}

/// The offers waiting, by id.
#[derive(Debug, Default)]
pub(super) struct Offers(Mutex<HashMap<String, Waiting>>);

impl Offers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiting>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SessionRegistry {
    /// Offers `path` for download in the live session whose shell leads process session `sid`
    /// (the terminal's session: every process started in it belongs to it); at most `limit`
    /// bytes.
    pub(crate) fn offer_download(
        &self,
        sid: i32,
        path: &Path,
        limit: u64,
    ) -> Result<Offer, TransferError> {
        let session = self
            .live_sessions()
            .into_iter()
            .find(|session| session.pid() == sid)
            .ok_or(TransferError::NotInSession)?;
        let metadata = std::fs::metadata(path).map_err(|_| TransferError::NotAFile)?;
        if !metadata.is_file() {
            return Err(TransferError::NotAFile);
        }
        if metadata.len() > limit {
            return Err(TransferError::TooLarge(limit));
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or(TransferError::NotAFile)?;
        let offer = Offer {
            id: super::random_hex(),
            name,
            bytes: metadata.len(),
        };
        let mut offers = self.offers().lock();
        offers.retain(|_, waiting| waiting.made.elapsed() < OFFER_LIFETIME);
        let waiting: Vec<(Instant, String)> = offers
            .iter()
            .filter(|(_, waiting)| waiting.session == *session.id())
            .map(|(id, waiting)| (waiting.made, id.clone()))
            .collect();
        if waiting.len() >= MAX_WAITING
            && let Some((_, oldest)) = waiting.into_iter().min()
        {
            offers.remove(&oldest);
        }
        offers.insert(
            offer.id.clone(),
            Waiting {
                session: session.id().clone(),
                path: path.to_owned(),
                offer: offer.clone(),
                made: Instant::now(),
            },
        );
        Ok(offer)
    }

    /// Takes offer `download` of session `id` for `by`, who may type there: the open file and
    /// what was offered. The offer is gone afterwards, fetched or not.
    pub(crate) fn take_download(
        &self,
        id: &str,
        download: &str,
        by: &Requester,
        limit: u64,
    ) -> Result<(std::fs::File, Offer), TransferError> {
        let (session, role) = self.reachable(id, by)?;
        if role == Role::View {
            return Err(SessionError::ReadOnly.into());
        }
        let waiting = {
            let mut offers = self.offers().lock();
            match offers.get(download) {
                Some(waiting) if waiting.session == *session.id() => offers.remove(download),
                _ => None,
            }
        };
        let waiting = waiting
            .filter(|waiting| waiting.made.elapsed() < OFFER_LIFETIME)
            .ok_or(TransferError::NoSuchDownload)?;
        let file = std::fs::File::open(&waiting.path).map_err(|_| TransferError::NotAFile)?;
        let bytes = file.metadata().map_err(|_| TransferError::NotAFile)?.len();
        if bytes > limit {
            return Err(TransferError::TooLarge(limit));
        }
        self.emit(&SessionEvent::Transferred {
            session: session.id(),
            by,
            direction: Direction::Download,
            name: &waiting.offer.name,
            bytes,
        });
        Ok((
            file,
            Offer {
                bytes,
                ..waiting.offer
            },
        ))
    }
}
