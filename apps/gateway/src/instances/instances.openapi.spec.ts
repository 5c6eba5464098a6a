import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { SchedulerContracts as S } from '@wharf/contracts';
import { RpcClient, Shutdown } from '@wharf/nats';
import { instanceRecord } from '@wharf/testing';
import { InternalHttpClient } from '../bundles/internal-http.client';
import { InstancesController } from './instances.controller';

/** The instance's internal address is the router's business only: never in a REST answer nor in the API's description. */
describe('instances in the REST API', () => {
  it('documents instances without their internal address', async () => {
    const mod = await Test.createTestingModule({
      controllers: [InstancesController],
      providers: [
        { provide: RpcClient, useValue: {} },
        { provide: InternalHttpClient, useValue: {} },
        Shutdown,
      ],
    }).compile();
    const app = mod.createNestApplication({ logger: false });
    await app.init();
    try {
      const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const text = JSON.stringify(doc.paths);
      expect(text).toContain('"statusReason"'); // the Instance schema is there...
      expect(text).not.toContain('"address"'); // ...without the address
    } finally {
      await app.close();
    }
  });

  it('drops an address from what the scheduler answers the gateway (every instance answer is parsed with the user-facing schema)', () => {
    const withAddress = instanceRecord({ address: '127.0.0.1:40001' });
    for (const c of [S.get, S.create, S.setVisibility, S.suspend, S.resume, S.upgrade, S.terminate]) {
      expect(c.response.parse(withAddress)).not.toHaveProperty('address');
    }
    expect(S.list.response.parse({ items: [withAddress], nextCursor: null }).items[0]).not.toHaveProperty('address');
    // the router's lookup keeps it
    expect(S.route.response.parse({ instances: [withAddress] }).instances[0]!.address).toBe('127.0.0.1:40001');
  });
});
