import type { InstanceRecord } from '../../instances/instance.record';
import { instanceRecordFixture } from '../../test-support/instance-record';
import { instanceLabels, isLabelValue, labelValue, LABELS, MANAGED_SELECTOR, readRecord, RECORD_ANNOTATION, recordAnnotations } from './instance-metadata';

const record = (over: Partial<InstanceRecord> = {}): InstanceRecord =>
  instanceRecordFixture({ owner: { sub: '5b0c5e7e-0f4c-4a45-9d7f-8c1f0b4c2a11', name: 'Alice Liddell' }, launch: { env: [{ name: 'GREETING', value: 'hi' }] }, ...over });

describe('Kubernetes instance metadata', () => {
  it.each([
    ['svc:alice'],
    ['5b0c5e7e-0f4c-4a45-9d7f-8c1f0b4c2a11'],
    ['https://idp.example.com/users/42'],
    ['-leading-and-trailing-'],
    ['ünïcödé user'],
    [':::'],
    ['x'.repeat(200)],
    [''],
  ])('makes a valid label value of %j', (input) => {
    expect(isLabelValue(labelValue(input))).toBe(true);
  });

  it('keeps values that are labels already, and never gives two inputs one label', () => {
    expect(labelValue('python-3.11')).toBe('python-3.11');
    const inputs = ['svc:alice', 'svc_alice', 'svc-alice', 'svc.alice', 'svc alice', `${'a'.repeat(60)}:1`, `${'a'.repeat(60)}:2`];
    const labels = inputs.map(labelValue);
    expect(new Set(labels).size).toBe(inputs.length);
    expect(labelValue('svc:alice')).toMatch(/^svc-alice-[0-9a-f]{10}$/); // still says whose it is
  });

  it('labels every object of an instance for kubectl', () => {
    const labels = instanceLabels(record());
    expect(labels).toMatchObject({ [LABELS.managedBy]: 'wharf', [LABELS.instance]: 'abcdefghij', [LABELS.name]: 'hello', [LABELS.runtime]: 'python-3.11' });
    expect(Object.values(labels).every(isLabelValue)).toBe(true);
    expect(MANAGED_SELECTOR).toBe('app.kubernetes.io/managed-by=wharf');
  });

  it('reads the record back from its labels and annotations', () => {
    const r = record();
    expect(readRecord({ labels: instanceLabels(r), annotations: recordAnnotations(r) })).toEqual({ ok: true, record: r });
  });

  it('reports objects whose record is missing, unreadable or disagrees with their labels (orphans for reconcile)', () => {
    const r = record();
    const labels = instanceLabels(r);
    const annotations = recordAnnotations(r);
    const reason = (meta: Parameters<typeof readRecord>[0]) => {
      const got = readRecord(meta);
      return got.ok ? 'ok' : got.reason;
    };
    expect(reason({ labels: { ...labels, [LABELS.managedBy]: 'helm' }, annotations })).toMatch(/not labelled/);
    expect(reason({ labels })).toMatch(/annotation wharf.dev\/record is missing/);
    expect(reason({ labels, annotations: { ...annotations, [RECORD_ANNOTATION]: '{' } })).toMatch(/not JSON/);
    expect(reason({ labels, annotations: { ...annotations, [RECORD_ANNOTATION]: '{"id":"abcdefghij"}' } })).toMatch(/not an instance record/);
    expect(reason({ labels, annotations: { ...annotations, 'wharf.dev/record-version': '0' } })).toMatch(/record-version is 0/);
    // moved to another owner by a hand edit of the label: refused, not believed
    expect(reason({ labels: { ...labels, [LABELS.owner]: 'mallory' }, annotations })).toMatch(/labels wharf.dev\/owner disagree with the record of abcdefghij/);
    const orphan = readRecord({ labels: { ...labels }, annotations: {} });
    expect(orphan).toMatchObject({ ok: false, instance: 'abcdefghij' });
  });
});
