// The node's API, same origin (the node serves this app). Errors come back as ApiError with the
// node's {"error":{"code","message"}} (or OpenAI's {"error":{"code","message","type"}}).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function toError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || "request failed";
  try {
    const body = await res.json();
    if (body?.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
    }
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, code, message);
}

//! fetch() with a node_unreachable ApiError when there is no answer at all, and the node's error
//! as an ApiError when the status is not 2xx.
async function send(path: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "node_unreachable", `the node did not answer (${(e as Error).message})`);
  }
  if (!res.ok) throw await toError(res);
  return res;
}

export async function get<T = any>(path: string, init?: RequestInit): Promise<T> {
  const res = await send(path, { headers: { Accept: "application/json" }, ...init });
  return (await res.json()) as T;
}

export async function post<T = any>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

//! POSTs with stream: true and calls onEvent with each server-sent event's parsed JSON data
//! until `data: [DONE]`. Errors before the stream starts throw ApiError; an error event inside
//! the stream is passed to onEvent like any other (it has an "error" member).
export async function stream(
  path: string,
  body: unknown,
  headers: Record<string, string>,
  onEvent: (data: any) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...headers },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.body) throw new ApiError(res.status, "no_stream", "the answer has no body to stream");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        onEvent(JSON.parse(data));
      }
    }
  }
}

export interface ChainInfo {
  chain_id: string;
  height: number;
  sequencer: string;
  token: { decimals: number; supply: string; symbol: string };
}

let chainInfoPromise: Promise<ChainInfo> | null = null;
//! GET /v1/chain, once per page load (the sequencer key and token do not change).
export function chainInfo(): Promise<ChainInfo> {
  chainInfoPromise ??= get<ChainInfo>("/v1/chain").catch((e) => {
    chainInfoPromise = null;
    throw e;
  });
  return chainInfoPromise;
}
