// Settings of the status page. This is the only file a deployment needs to edit; the
// action adds it once (status-page: auto) and never overwrites it afterwards.

export default {
  /** Heading and document title. */
  title: 'FLAME Hub status',

  /** Short label next to the title, e.g. the cluster that is checked; empty to hide it. */
  environment: 'Staging cluster',

  /** Target of the "Open console" link on every card; empty to hide the links. */
  consoleUrl: 'https://core.staging.privateaim.net',

  /** Base URL of the `<key>_report.log` files, relative to this page unless absolute. */
  logBaseUrl: 'logs/',

  /**
   * status.json written by the action next to logs/. The page reads the node list and the
   * aggregator's name from it unless `nodes` below is set. Empty string: do not read it.
   */
  statusUrl: 'status.json',

  /** messages.json with banners; empty string: no banners. */
  messagesUrl: 'messages.json',

  /** Step cards in display order: report key and label. */
  steps: [
    { key: 'login', label: 'Login' },
    { key: 'upload', label: 'Code upload' },
    { key: 'distribute', label: 'Build and distribution' },
    { key: 'execute', label: 'Execution' },
    { key: 'results', label: 'Results' },
    { key: 'latency', label: 'End-to-end latency' }
  ],

  /**
   * Node cards: null reads the list from status.json (the nodes of the action's newest run);
   * a list of names (e.g. ['aggregator-1', 'default-1']) fixes it. The log of a node is
   * `node_<name>_report.log`.
   */
  nodes: null,

  /** Aggregator's node name when status.json does not give it; it is not a compute node. */
  aggregator: 'aggregator-1',

  /** Optional labels for node cards, by node name. */
  nodeLabels: {},

  thresholds: {
    /**
     * Seconds; a latency run above it is slow. null takes the action's `latency-limit` from
     * status.json (600 s when status.json does not give it).
     */
    latencyLimitSeconds: null,
    /** A bar whose share of passed runs is below this is red; between it and 1 it is amber. */
    failureBelow: 0.3,
    /** The overall status uses the newest round only if it is at most this old. */
    lookbackMinutes: 60
  },

  /** Minutes between scheduled runs; data older than two intervals gets a stale warning. */
  expectedIntervalMinutes: 30,

  /** Seconds between automatic reloads of logs and messages; 0 turns auto-refresh off. */
  refreshSeconds: 60,

  /** Logs loaded at the same time; the browser queues the rest. */
  maxParallelFetches: 6,

  /** View shown first: '24h', '7d' or '30d'. */
  defaultView: '7d'
}
