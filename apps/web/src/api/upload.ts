import { ApiError, signIn, toApiError, type AppVersion } from './client';

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Imports a bundle: `POST /api/v1/bundles` with the zip as the raw body and the session's CSRF
 * token. XMLHttpRequest rather than fetch, because only it reports upload progress. Resolves with
 * the new version; rejects with an ApiError (a 401 also sends the browser through sign-in), or an
 * AbortError when `signal` aborts it.
 */
export function uploadBundle(file: Blob, csrfToken: string, onProgress: (p: UploadProgress) => void, signal?: AbortSignal): Promise<AppVersion> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/bundles');
    xhr.setRequestHeader('Content-Type', 'application/zip');
    xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === 201) return resolve(body as AppVersion);
      if (xhr.status === 401) signIn();
      reject(toApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'Wharf could not be reached. Check your connection and try again.'));
    xhr.onabort = () => reject(new DOMException('The import was cancelled', 'AbortError'));
    if (signal?.aborted) return xhr.abort();
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
