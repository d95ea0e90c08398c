"""Single-machine stand-in for ``flame.star`` (FLAME SDK patterns 0.6.4 with flamesdk 0.5).

One process runs one node. The Hub simulator starts a process per participating node and describes the
node through ``FLAME_SIM_*`` environment variables (listed in ../README.md). Nodes exchange pickled values
as files in a shared directory, one FIFO channel per (category, sender, receiver).
"""

import datetime
import json
import logging
import math
import os
import pickle
import random
import sys
import time
import uuid

__all__ = ['StarModel', 'StarLocalDPModel', 'StarAnalyzer', 'StarAggregator']

_LOG = logging.getLogger('flame')

_POLL_SECONDS = 0.02

# Log types of flamesdk 0.5 and 0.6. `error` and any other value take the core's failure path.
_SAFE_LOG_TYPES = ('debug', 'info', 'notice', 'warn', 'alert', 'emerg', 'crit')


def _env(name, default=None):
    value = os.environ.get(name)
    if value is None or value == '':
        if default is None:
            raise RuntimeError(f'flame stand-in: environment variable {name} is missing. '
                               'Run the script through the Hub simulator, which sets it for every node process.')
        return default
    return value


class _FileExchange:
    """Message channels between node processes, stored as files in one directory."""

    def __init__(self, directory, node_id, deadline):
        self.directory = directory
        self.node_id = node_id
        self.deadline = deadline
        self._sent = {}
        self._received = {}

    def _path(self, category, sender, receiver, sequence):
        return os.path.join(self.directory, f'{category}__{sender}__{receiver}__{sequence:06d}.pkl')

    def send(self, receiver, category, value):
        # Pickling here makes an unpicklable value fail on the sender, as it does on the platform.
        payload = pickle.dumps(value)
        key = (category, receiver)
        sequence = self._sent.get(key, 0)
        self._sent[key] = sequence + 1

        # Write then rename, so a reader never sees a partial file.
        final_path = self._path(category, self.node_id, receiver, sequence)
        temporary_path = final_path + '.tmp'
        with open(temporary_path, 'wb') as handle:
            handle.write(payload)
        os.replace(temporary_path, final_path)

    def receive(self, sender, category, stop_on_finish=False):
        """Block until the next value from `sender` arrives, and return (True, value).

        Returns (False, None) when `stop_on_finish` is set and the analysis finished first. Raises
        BrokenPipeError when the sender failed and TimeoutError at the deadline.
        """
        key = (category, sender)
        sequence = self._received.get(key, 0)
        path = self._path(category, sender, self.node_id, sequence)

        while True:
            if os.path.exists(path):
                with open(path, 'rb') as handle:
                    value = pickle.load(handle)
                self._received[key] = sequence + 1
                return True, value

            if self.has_failed(sender):
                raise BrokenPipeError(f'node {sender} failed before it sent its {category} value')
            if stop_on_finish and self.is_finished():
                return False, None
            if time.monotonic() > self.deadline:
                raise TimeoutError(f'timed out waiting for {category} from node {sender} '
                                   '(FLAME_SIM_TIMEOUT_SECONDS)')
            time.sleep(_POLL_SECONDS)

    def has_failed(self, node_id):
        return os.path.exists(os.path.join(self.directory, f'failed.{node_id}'))

    def mark_failed(self):
        with open(os.path.join(self.directory, f'failed.{self.node_id}'), 'w', encoding='utf-8') as handle:
            handle.write('failed\n')

    def is_finished(self):
        return os.path.exists(os.path.join(self.directory, 'finished'))

    def mark_finished(self):
        with open(os.path.join(self.directory, 'finished'), 'w', encoding='utf-8') as handle:
            handle.write(self.node_id + '\n')


class _SimulatedCore:
    """The part of FlameCoreSDK that star scripts use, backed by the file exchange."""

    def __init__(self):
        self._node_id = _env('FLAME_SIM_NODE_ID')
        self._role = _env('FLAME_SIM_ROLE')
        participants = json.loads(_env('FLAME_SIM_PARTICIPANTS'))
        self._others = [p for p in participants if p['nodeId'] != self._node_id]
        self._output_dir = os.environ.get('FLAME_SIM_OUTPUT_DIR')
        timeout = float(_env('FLAME_SIM_TIMEOUT_SECONDS', '60'))
        self._exchange = _FileExchange(_env('FLAME_SIM_EXCHANGE_DIR'), self._node_id, time.monotonic() + timeout)
        self._progress = 0
        self._finished = False

    def get_id(self):
        return self._node_id

    def get_role(self):
        return self._role

    def get_participants(self):
        return [dict(p) for p in self._others]

    def get_participant_ids(self):
        return [p['nodeId'] for p in self._others]

    def get_aggregator_id(self):
        # The aggregator is not in its own participant list, so on the aggregator this is None.
        for participant in self._others:
            if participant['nodeType'] == 'aggregator':
                return participant['nodeId']
        return None

    def get_analysis_id(self):
        return os.environ.get('ANALYSIS_ID')

    def get_project_id(self):
        return os.environ.get('PROJECT_ID')

    def flame_log(self, msg, sep='', end='', log_type='info', append=False, halt_submission=False):
        if isinstance(msg, (bytes, bytearray)):
            text = bytes(msg).decode('utf-8', errors='replace')
        elif isinstance(msg, str):
            text = msg
        else:
            text = sep.join(str(part) for part in msg)
        stream = sys.stdout if log_type in ('debug', 'info', 'notice') else sys.stderr
        print(f'[flame {log_type}] {text}{end}', file=stream, flush=True)

        # The real core marks the analysis failed on `error` or an unknown type, then blocks the caller.
        if log_type not in _SAFE_LOG_TYPES:
            self._exchange.mark_failed()
            raise SystemExit(f'flame_log with log_type {log_type!r} failed the analysis')

    def get_progress(self):
        return self._progress

    def set_progress(self, progress):
        # Progress only grows: floats are truncated, and a lower value is logged and ignored.
        value = min(int(progress), 100)
        if value < self._progress:
            _LOG.warning('ignored progress %r because it is below the current %d', progress, self._progress)
            return
        self._progress = value

    def ready_check(self, nodes='all', attempt_interval=30, timeout=None):
        targets = self.get_participant_ids() if nodes == 'all' else list(nodes)
        return {node_id: True for node_id in targets}

    def send_intermediate_data(self, receivers, data, message_category='intermediate_data', max_attempts=1,
                               timeout=None, attempt_timeout=10):
        for receiver in receivers:
            self._exchange.send(receiver, message_category, data)

    def await_intermediate_data(self, senders, message_category='intermediate_data', timeout=None):
        results = {}
        for sender in senders:
            _, value = self._exchange.receive(sender, message_category)
            results[sender] = value
        return results

    def submit_final_result(self, result, output_type='str', multiple_results=False, local_dp=None):
        if self._role != 'aggregator':
            raise BrokenPipeError('only the aggregator node may submit a final result')
        if not self._output_dir:
            raise RuntimeError('flame stand-in: FLAME_SIM_OUTPUT_DIR is missing on the aggregator')

        if multiple_results and isinstance(result, (list, tuple)):
            types = output_type if isinstance(output_type, list) else [output_type] * len(result)
            if len(types) != len(result):
                raise ValueError(f'output_type lists {len(types)} types for {len(result)} results')
            return [self._write_result(item, item_type, local_dp) for item, item_type in zip(result, types)]

        single_type = output_type[0] if isinstance(output_type, list) else output_type
        return self._write_result(result, single_type, local_dp)

    def _write_result(self, result, output_type, local_dp):
        if local_dp is not None:
            noisy = result + _laplace(local_dp['sensitivity'] / local_dp['epsilon'])
            content = str(noisy).encode('utf-8')
        else:
            content = _encode_result(result, output_type)

        # flamesdk 0.5 names: 4 hex characters of a fresh UUID4 and the container clock (UTC here).
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%y%m%d%H%M%S')
        name = f'result_{uuid.uuid4().hex[:4]}_{stamp}'
        os.makedirs(self._output_dir, exist_ok=True)
        with open(os.path.join(self._output_dir, name), 'wb') as handle:
            handle.write(content)
        return {'status': 'success'}

    def analysis_finished(self):
        self._exchange.mark_finished()
        self._progress = 100
        self._finished = True


def _encode_result(result, output_type):
    try:
        if output_type == 'str':
            return str(result).encode('utf-8')
        if output_type == 'bytes':
            return bytes(result)
        if output_type == 'pickle':
            return pickle.dumps(result)
        _LOG.warning('unknown output_type %r, falling back to pickle', output_type)
    except (TypeError, ValueError, UnicodeError, pickle.PicklingError) as error:
        _LOG.warning('encoding the result as %r failed (%s), falling back to pickle', output_type, error)
    return pickle.dumps(result)


def _laplace(scale):
    # Inverse-CDF sampling of a Laplace(0, scale) variable.
    u = random.random() - 0.5
    return -scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))


def _load_data(data_type, query):
    """Return the node's data as the SDK would: fetched once, None when there is no query."""
    if query is None:
        return None
    queries = [query] if isinstance(query, str) else list(query)
    data_file = os.environ.get('FLAME_SIM_DATA_FILE')
    stores = []
    if data_file:
        with open(data_file, 'rb') as handle:
            stores = pickle.load(handle)

    if data_type == 'fhir':
        return [{q: store[q] for q in queries if q in store} for store in stores]

    # Every value other than 'fhir' takes the S3 branch, and an empty key list means every object.
    if not queries:
        return [dict(store) for store in stores]
    return [{key: store[key] for key in queries if key in store} for store in stores]


class _Node:
    """Shared base of the analyzer and aggregator classes (flame.star.node_base_client.Node)."""

    _required_role = None

    def __init__(self, flame):
        self.flame = flame
        self.id = flame.get_id()
        self.role = flame.get_role()
        if self.role != self._required_role:
            raise ValueError(f'{type(self).__name__} requires the role {self._required_role!r}, '
                             f'but this node has the role {self.role!r}')
        self.finished = False
        self.latest_result = None
        self.partner_node_ids = flame.get_participant_ids()
        self.num_iterations = 0


class StarAnalyzer(_Node):
    _required_role = 'default'

    def analysis_method(self, data, aggregator_results):
        """Override: compute this node's value for the aggregator."""


class StarAggregator(_Node):
    _required_role = 'aggregator'

    def __init__(self, flame):
        super().__init__(flame)
        self.delta_criteria = False

    def aggregation_method(self, analysis_results):
        """Override: combine the analyzer values, in partner order."""

    def has_converged(self, result, last_result):
        """Override: return a truthy value once an iterative analysis has converged."""


class StarModel:
    """Runs this node's part of a star analysis and returns when it is done."""

    def __init__(self, analyzer, aggregator, data_type, query=None, simple_analysis=True, output_type='str',
                 multiple_results=False, analyzer_kwargs=None, aggregator_kwargs=None, test_mode=False,
                 test_kwargs=None):
        self._local_dp = None
        self._run(analyzer, aggregator, data_type, query, simple_analysis, output_type, multiple_results,
                  analyzer_kwargs, aggregator_kwargs)

    def _run(self, analyzer, aggregator, data_type, query, simple_analysis, output_type, multiple_results,
             analyzer_kwargs, aggregator_kwargs):
        self.flame = _SimulatedCore()
        self.data_type = data_type
        self.query = query
        self.simple_analysis = simple_analysis
        self.output_type = output_type
        self.multiple_results = multiple_results

        # A failing node leaves a marker so that peers waiting for it fail instead of hanging.
        try:
            delay = float(os.environ.get('FLAME_SIM_DELAY_SECONDS', '0'))
            if delay > 0:
                time.sleep(delay)
            if os.environ.get('FLAME_SIM_FAIL') == '1':
                raise RuntimeError(f'simulated failure of node {self.flame.get_id()} (FLAME_SIM_FAIL=1)')

            role = self.flame.get_role()
            if role == 'default':
                self._check_class(analyzer, StarAnalyzer, 'analyzer')
                self._run_analyzer(analyzer(flame=self.flame, **(analyzer_kwargs or {})))
            elif role == 'aggregator':
                self._check_class(aggregator, StarAggregator, 'aggregator')
                self._run_aggregator(aggregator(flame=self.flame, **(aggregator_kwargs or {})))
            else:
                raise BrokenPipeError(f'node role {role!r} is neither default nor aggregator')
        except BaseException:
            self.flame._exchange.mark_failed()
            raise

    @staticmethod
    def _check_class(cls, base, label):
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise BrokenPipeError(f'the {label} must be a subclass of {base.__name__}, got {cls!r}')

    def _run_analyzer(self, node):
        aggregator_id = self.flame.get_aggregator_id()
        self.flame.ready_check([aggregator_id])
        data = _load_data(self.data_type, self.query)
        self.flame.flame_log(f'data: {str(data)[:100]}', log_type='debug')

        exchange = self.flame._exchange
        while True:
            result = node.analysis_method(data, node.latest_result)
            node.latest_result = result
            node.num_iterations += 1
            self.flame.send_intermediate_data([aggregator_id], result)
            if self.simple_analysis:
                break

            # In iterative mode the next aggregator value starts the next round, unless the run finished.
            received, value = exchange.receive(aggregator_id, 'intermediate_data', stop_on_finish=True)
            if not received:
                break
            node.latest_result = value

        node.finished = True
        self.flame.flame_log('analysis finished on this node', log_type='info')

    def _run_aggregator(self, node):
        self.flame.ready_check()
        max_rounds = int(os.environ.get('FLAME_SIM_MAX_ROUNDS', '1000'))

        while True:
            values = self.flame.await_intermediate_data(node.partner_node_ids)
            result = node.aggregation_method([values[sender] for sender in node.partner_node_ids])
            answer = node.has_converged(result, node.latest_result)
            node.delta_criteria = answer

            # Round 1 of an iterative run is never final, whatever has_converged returned.
            final = True if self.simple_analysis else (node.num_iterations > 0 and bool(answer))
            node.latest_result = result
            node.num_iterations += 1

            if final:
                self._submit(result, answer)
                self.flame.analysis_finished()
                break
            if node.num_iterations >= max_rounds:
                raise RuntimeError(f'the analysis did not converge within {max_rounds} rounds (FLAME_SIM_MAX_ROUNDS)')
            self.flame.send_intermediate_data(node.partner_node_ids, result)

        node.finished = True
        self.flame.flame_log('analysis finished, final result submitted', log_type='info')

    def _submit(self, result, converged):
        self.flame.submit_final_result(result, self.output_type, self.multiple_results)


class StarLocalDPModel(StarModel):
    """StarModel whose final numeric result gets Laplace noise with scale sensitivity / epsilon."""

    def __init__(self, analyzer, aggregator, data_type, query=None, simple_analysis=True, output_type='str',
                 multiple_results=False, analyzer_kwargs=None, aggregator_kwargs=None, epsilon=None,
                 sensitivity=None, test_mode=False, test_kwargs=None):
        self.epsilon = epsilon
        self.sensitivity = sensitivity
        self._run(analyzer, aggregator, data_type, query, simple_analysis, output_type, multiple_results,
                  analyzer_kwargs, aggregator_kwargs)

    def _submit(self, result, converged):
        if not (converged and self.epsilon is not None and self.sensitivity is not None):
            super()._submit(result, converged)
            return
        if not (isinstance(result, (int, float)) and math.isfinite(result)):
            raise ValueError(f'local differential privacy needs a finite number as the result, got {result!r}')
        self.flame.submit_final_result(result, 'str', False,
                                       local_dp={'epsilon': self.epsilon, 'sensitivity': self.sensitivity})
