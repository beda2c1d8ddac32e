import { parseSpec, SpecError } from '../../domain/spec';
test('x', () => { expect(() => parseSpec(`id: A\nname: x\nowner: nope\nstakeholders: []\n`, 'x.yaml')).toThrow(SpecError); try { parseSpec(`id: A\nname: x\nowner: nope\nstakeholders: []\n`, 'x.yaml'); } catch (e) { console.log((e as Error).message); } });
