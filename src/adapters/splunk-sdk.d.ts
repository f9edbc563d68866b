/**
 * The few pieces of splunk-sdk (npm, untyped CommonJS) that splunk-sdk-service.ts uses. Its deep paths are imported on
 * purpose: the package index loads dotenv (see splunk-sdk-service.ts).
 */
declare module 'splunk-sdk/lib/http.js' {
  /** What a transport's makeRequest resolves with; Http.request throws it when status >= 400. */
  export interface SdkResponse {
    response: { statusCode: number; headers: Record<string, string | string[] | undefined> };
    status: number;
    data: unknown;
    error: unknown;
  }
  /** The message Http.request hands to makeRequest. */
  export interface SdkMessage {
    method: string;
    headers: Record<string, string>;
    body: string;
    timeout?: number;
  }
  /** John Resig-style class: `extend` makes a subclass, `init` is the constructor. */
  interface SdkHttpClass {
    new (): object;
    extend(prototype: {
      makeRequest(url: string, message: SdkMessage): Promise<SdkResponse>;
      parseJson(json: string): unknown;
    }): SdkHttpClass;
  }
  const Http: SdkHttpClass;
  export default Http;
}

declare module 'splunk-sdk/lib/service.js' {
  /** splunk-sdk's Service (a Context): builds URLs, adds `Authorization: Splunk <key>` and output_mode=json. */
  export interface SdkService {
    get(path: string, query: Record<string, string>): Promise<import('splunk-sdk/lib/http.js').SdkResponse>;
    post(path: string, form: Record<string, string>): Promise<import('splunk-sdk/lib/http.js').SdkResponse>;
    del(path: string, query: Record<string, string>): Promise<import('splunk-sdk/lib/http.js').SdkResponse>;
    request(
      path: string,
      method: string,
      query: Record<string, string>,
      post: Record<string, string> | undefined,
      body: string,
      headers: Record<string, string>,
    ): Promise<import('splunk-sdk/lib/http.js').SdkResponse>;
  }
  const Service: new (
    http: object,
    params: {
      scheme: string;
      host: string;
      port: string | number;
      sessionKey: string;
      owner?: string;
      app?: string;
      autologin?: boolean;
    },
  ) => SdkService;
  export default Service;
}
